//! Cabinet extraction (being built).
