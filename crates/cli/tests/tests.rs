//! Integration tests: they run the real `entente` binary in temporary data
//! directories, and open the same directories with the store crate to check
//! what the binary left behind.

// Shared helpers: running the binary, generating objects.
mod util;

// The commands end to end: init, validate, publish, prove, verify, withdraw, export, import, audit.
mod commands;
// kill -9 at random moments during imports; nothing acknowledged may be lost.
mod crash;
// Single-byte changes behind the store's back; the audit must find every one.
mod tamper;
// The running server against taxii2-client and curl.
mod interop;
