//! One module per command family.

pub mod audit;
pub mod collection;
pub mod demo;
pub mod detect;
pub mod evidence;
pub mod export;
pub mod import;
pub mod info;
pub mod init;
pub mod key;
pub mod log;
pub mod pattern;
pub mod peer;
pub mod publish;
pub mod quarantine;
pub mod serve;
pub mod sightings;
pub mod sync;
pub mod user;
pub mod validate;
