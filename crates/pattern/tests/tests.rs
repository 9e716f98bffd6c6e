//! All integration tests, in one binary.

// Our verdicts against the reference implementations' on the shared corpus.
mod conformance;
// Laws on generated input: printing then parsing gives the same tree; parsing
// never panics.
mod roundtrip;
