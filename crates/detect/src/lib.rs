//! Detection over telemetry, with no I/O: readers that turn log lines into
//! [`pattern::index::Event`]s, and the STIX sightings made from what the
//! indicator index finds in them.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
pub mod formats;
/// The author's report of where and how often its indicators were sighted.
pub mod report;
pub mod sightings;
