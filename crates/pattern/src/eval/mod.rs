//! Evaluation of a parsed pattern against observed data.
//!
//! The semantics follow the OASIS reference matcher (`stix2-matcher` 3.0.0),
//! except where it contradicts the STIX 2.1 specification, where the
//! specification wins: `WITHIN` windows are half-open (9.5.1), `LIKE` and
//! `MATCHES` let wildcards cross line breaks (9.6.1), timestamps compare at
//! full precision, `EXISTS` is implemented, `MATCHES` accepts PCRE syntax the
//! reference's Python `re` does not, and `ISSUBSET`/`ISSUPERSET` handle IPv6,
//! `/0` and prefix-less blocks.
//!
//! Matching is a search for *bindings*: an assignment of distinct
//! observations to the simple observation expressions of the pattern that
//! satisfies every operator and qualifier. A binding is kept as the sorted set
//! of observation instances it uses; an `observed-data` with
//! `number_observed` n counts as n interchangeable instances.

mod bindings;
pub(crate) mod compare;
pub(crate) mod observed;
pub(crate) mod path;
mod time;

use serde_json::Value as Json;

use crate::ast::Pattern;

pub use self::observed::EvalError;

/// Whether `pattern` matches the observations in `observed`.
///
/// `observed` is a flat list of STIX 2.1 objects: `observed-data` SDOs, each
/// one observation (counted `number_observed` times) of the SCOs its
/// `object_refs` list, looked up in the same list. Other objects are only
/// seen through those references.
///
/// An `Err` means the pattern cannot be evaluated against this data (a
/// malformed timestamp compared with a `t'…'` literal, an invalid CIDR block,
/// an invalid regular expression, malformed `observed-data`); such a pattern
/// must be treated as not matching.
pub fn matches(pattern: &Pattern, observed: &[Json]) -> Result<bool, EvalError> {
    let observations = observed::Observations::read(observed)?;
    bindings::exists(&pattern.observation, &observations)
}

/// [`matches`], giving up with [`EvalError::TooComplex`] after `steps` steps
/// of the search over observations (each pair of partial matches combined,
/// each partial repetition tried). `REPEATS`, `AND` and `FOLLOWEDBY` over
/// many observations can need exponentially many steps, so patterns from
/// parties one does not control are evaluated with a bound.
pub fn matches_within(pattern: &Pattern, observed: &[Json], steps: u64) -> Result<bool, EvalError> {
    bindings::with_budget(steps, || matches(pattern, observed))
}
