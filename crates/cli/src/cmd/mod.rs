//! One module per command family.

pub mod audit;
pub mod export;
pub mod import;
pub mod init;
pub mod log;
pub mod publish;
pub mod validate;
