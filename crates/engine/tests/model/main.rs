//! The engine's model, through its public API, one binary (`cargo test -p rmsi-engine
//! --test model cost::`): packages built with `wixl` at test time and the corpus of real
//! packages, opened, resolved and costed.

// Packages built for these tests, the corpus's location.
mod model_util;

// Tables built in memory: absent ones cost nothing, broken ones fail cleanly.
mod tables;
// Every real package of the corpus opens, resolves and costs.
mod corpus;
// Corrupt packages never panic the model.
mod hostile;
// Directory resolution and confinement to the root.
mod directory;
// The standard properties set at initialization.
mod properties;
// Costing: feature selection, component conditions, file versioning.
mod cost;
// The product registry across runs.
mod registry;
