//! All integration tests, in one binary.

// Our verdicts against the reference implementations' on the shared corpus.
mod conformance;
// Our matching verdicts against the reference matcher's on the same corpus.
mod matching;
// Laws on generated input: printing then parsing gives the same tree; parsing
// never panics.
mod index;
mod roundtrip;
