//! stubs (in progress)
