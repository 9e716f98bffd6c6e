//! Integration tests of the detect crate.
