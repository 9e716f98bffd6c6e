//! Integration tests: they run the real `entente` binary in temporary data
//! directories, and open the same directories with the store crate to check
//! what the binary left behind.

// Shared helpers: running the binary, generating objects.
mod util;

// The commands end to end: init, validate, publish, prove, verify, withdraw, export, import, audit.
mod commands;
mod detect;
mod evidence;

// MUST violations refuse, SHOULD findings warn; strict collections refuse both.
mod lenient;

// Administration: the key shown again, missing nodes, commands that check first.
mod admin;

// kill -9 at random moments during imports; nothing acknowledged may be lost.
mod crash;
// Single-byte changes behind the store's back; the audit must find every one.
mod tamper;
// A running `entente serve` for the server tests.
mod harness;
// `entente serve`: HTTPS, loopback-only plain HTTP, first start, two processes.
mod serve;
// The running server against taxii2-client and curl.
mod interop;
// The TAXII node over raw HTTP: access per caller, hostile requests, kill -9 during POSTs.
mod node;
// `entente demo` from start to end.
mod demo;
// Peers end to end: mirrors across kills, rewritten and forked logs caught with
// evidence, quarantine, audiences on the wire, sightings back, witnesses.
mod peers;
// Real published STIX 2.1 (fetched by scripts/stix-corpus.sh) against stix2-validator.
mod real_stix;
// A hostile partner's signed, consistent log built to harm: validation, not
// signatures, must keep it from poisoning or breaking the node.
mod hostile_peer;
