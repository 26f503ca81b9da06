//! The MSI condition language and formatted strings (being built: see issue 5).
