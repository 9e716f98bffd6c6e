//! STIX 2.1 objects for Entente: parsing, validation with precise errors,
//! deterministic SCO ids, RFC 8785 canonical JSON and TLP markings.
//!
//! Every object an Entente node accepts, stores, signs into its log or serves to a
//! partner goes through this crate:
//!
//! * [`parse`] turns bytes into a [`Document`] (one object, an array, or a bundle),
//!   refusing trailing input and duplicate member names, with line and column in
//!   the [`ParseError`].
//! * [`validate`] checks one object against the STIX 2.1 rules and returns a
//!   [`Validated<Object>`]: a value that only validation can build, so code that
//!   takes one (the store's append) cannot be handed an unchecked object. On
//!   failure, [`Invalid`] lists **every** problem, each an [`Error`] naming the
//!   object id, a JSON path and what was expected:
//!   `indicator--…: $.valid_from: expected a STIX timestamp (YYYY-MM-DDTHH:MM:SS[.s+]Z), got "2024-13-01T00:00:00Z"`.
//!   [`validate_document`] does a whole document, with the bundle's own rules.
//! * [`canonical::to_vec`] gives the RFC 8785 canonical bytes that log entries are
//!   made of; [`deterministic_id`] computes SCO ids (UUIDv5 over canonical JSON).
//! * [`Timestamp`] parses and prints STIX timestamps strictly; [`Tlp`] and
//!   [`effective_tlp`] read TLP 1.0 and 2.0 markings, and [`Tlp::v2_marking_json`]
//!   gives the TLP 2.0 marking-definitions a collection must carry.
//!
//! # What it does not do
//!
//! No I/O, no clock, no randomness: bytes and times come in as arguments
//! ([`Timestamp::from_unix_nanos`] is how the store stamps `date_added`). It does
//! not parse STIX patterns: that is the `pattern` crate's job, and since `pattern`
//! sits above this crate (its evaluator works on STIX objects), the check comes back in as a function through
//! [`ValidateOptions::with_pattern_checker`]; plain [`validate`] leaves `stix`
//! patterns unchecked. It does not resolve references between objects (whether
//! the identity named by `created_by_ref` exists is the store's question), nor
//! does it know about versions already stored.
//!
//! # The key design choice: agree with the reference validator, in strict mode
//!
//! Partners run OASIS's `stix2-validator`; an object we accept and they reject
//! would break the exchange. So the rules follow `stix2_validator --strict
//! --version 2.1` (3.3.2), where SHOULDs are errors, and a conformance test
//! (`tests/conformance.rs`) compares our verdicts with the validator's on thousands
//! of generated objects. Where we differ, we are stricter on purpose (e.g. a
//! `created_by_ref` must name an identity) and each difference is listed in
//! [`validate`]'s documentation and checked by that test. Lenient mode
//! ([`ValidateOptions::strict`]) turns SHOULDs into warnings for input from less
//! careful producers.
//!
//! Validation walks the object's properties once, with static rule tables and
//! no regex engine; paths are only rendered when an error is reported. A 1 KB
//! indicator validates in a few microseconds.
//!
//! ```
//! let bytes = br#"{
//!   "type": "indicator", "spec_version": "2.1",
//!   "id": "indicator--9a676219-ef05-46fe-a603-ebebd9e5f2b3",
//!   "created": "2024-10-01T09:15:00.000Z", "modified": "2024-10-01T09:15:00.000Z",
//!   "name": "Look-alike voter registration portal",
//!   "description": "Phishing domain sent to election staff",
//!   "pattern": "[domain-name:value = 'voter-registration-check.example']",
//!   "pattern_type": "stix", "valid_from": "2024-10-01T09:15:00Z",
//!   "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]
//! }"#;
//! let doc = stix::parse(bytes)?;
//! let object = doc.into_objects().remove(0);
//! let indicator = stix::validate(object)?;
//! assert_eq!(indicator.type_name(), "indicator");
//! assert_eq!(stix::effective_tlp(&indicator), Some(stix::Tlp::Green));
//! let canonical = stix::canonical::to_vec(indicator.as_value())?;
//! assert!(canonical.starts_with(br#"{"created":"2024-10-01T09:15:00.000Z","description""#));
//!
//! let mut bad = indicator.into_inner().into_value();
//! bad["valid_from"] = "2024-13-01T00:00:00Z".into();
//! let err = stix::validate(bad).unwrap_err();
//! assert_eq!(
//!     err.errors()[0].to_string(),
//!     "indicator--9a676219-ef05-46fe-a603-ebebd9e5f2b3: $.valid_from: expected a STIX timestamp \
//!      (YYYY-MM-DDTHH:MM:SS[.s+]Z), got \"2024-13-01T00:00:00Z\" (month out of range)",
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Layout
//!
//! * `parse.rs`: bytes to [`Document`].
//! * `validate/`: `mod.rs` (entry points, [`Validated`]), `common.rs` (common
//!   properties), `sdo.rs`, `sco.rs`, `marking.rs`, `bundle.rs`, `rules.rs` (the
//!   rule table language), `formats.rs` (addresses, URIs, language tags), `ctx.rs`
//!   (paths and findings).
//! * `vocab.rs`: vocabularies and the relationship table.
//! * `canonical.rs`, `id.rs`, `timestamp.rs`, `tlp.rs`, `object.rs`, `error.rs`.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod calendar;
pub mod canonical;
mod error;
mod id;
mod object;
mod parse;
mod timestamp;
mod tlp;
mod validate;
pub mod vocab;

// The public interface is:
pub use error::{
    CanonicalError, Error, ErrorKind, Invalid, ParseError, ParseErrorKind, Severity, TimestampError,
};
pub use id::{SCO_NAMESPACE, contributing_properties, deterministic_id, parse_uuid, split_id};
pub use object::{Kind, Object, is_indicator, names_indicator};
pub use parse::{Document, parse, parse_value};
pub use timestamp::Timestamp;
pub use tlp::{TLP2_EXTENSION_ID, Tlp, effective_tlp};
pub use validate::{
    DocumentReport, ValidateOptions, Validated, validate, validate_document, validate_with,
};
