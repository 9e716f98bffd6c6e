//! Integration tests of the detect crate.

mod readers;
