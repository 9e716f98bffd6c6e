//! The node's warninglists, from the configuration, and the hold check that
//! quarantines partner indicators hitting them.

use std::cell::RefCell;

use crate::config::WarninglistConfig;

/// Compiles the configured lists; an unreadable or malformed list is an error
/// naming it (a node must not run with a defence it believes it has but does not).
pub fn build(config: &WarninglistConfig) -> Result<warninglist::Warninglists, String> {
    let mut builder = warninglist::Warninglists::builder()
        .reserved(config.reserved)
        .critical(config.critical)
        .domains(&config.domains)
        .map_err(|e| format!("warninglists.domains: {e}"))?
        .networks(&config.networks)
        .map_err(|e| format!("warninglists.networks: {e}"))?;
    for path in &config.misp {
        let bytes = std::fs::read(path)
            .map_err(|e| format!("warninglists.misp: cannot read {}: {e}", path.display()))?;
        builder = builder
            .misp(&path.display().to_string(), &bytes)
            .map_err(|e| format!("warninglists.misp: {e}"))?;
    }
    Ok(builder.build())
}

/// What a mirror does with a partner's object: it passes the same validation
/// as a local one (lenient: only a MUST violation fails it), then the
/// warninglists. An object that fails validation is held as invalid with
/// the validator's messages, whatever else it is.
pub fn judge(lists: &warninglist::Warninglists, object: serde_json::Value) -> store::Verdict {
    // The validator's pattern checker keeps the parsed pattern for the
    // warninglists, so a partner's pattern is parsed once, not twice.
    let parsed: RefCell<Option<pattern::Pattern>> = RefCell::new(None);
    let checker = |text: &str| match pattern::parse(text) {
        Ok(ast) => {
            parsed.replace(Some(ast));
            Ok(())
        }
        Err(e) => Err(e.message(text)),
    };
    let options = stix::ValidateOptions::new()
        .strict(false)
        .with_pattern_checker(&checker);
    let valid = match stix::validate_with(object, &options) {
        Ok(valid) => valid,
        Err(invalid) => return store::Verdict::Invalid(invalid_reason(&invalid)),
    };
    let facts = store::ObjectFacts::of(valid.as_value());
    let reason = match parsed.into_inner() {
        Some(ast) if facts.is_indicator() => first_hit(lists.check_parsed(&ast)),
        _ => hold(lists, &facts),
    };
    match reason {
        Some(reason) => store::Verdict::Hold(reason),
        None => store::Verdict::Use,
    }
}

/// The validator's messages, as a quarantine reason.
fn invalid_reason(invalid: &stix::Invalid) -> String {
    // A hostile object can carry thousands of findings: the first few say enough.
    const SHOWN: usize = 5;
    let errors = invalid.errors();
    let mut reason = errors
        .iter()
        .take(SHOWN)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    if errors.len() > SHOWN {
        reason.push_str(&format!(" (and {} more)", errors.len() - SHOWN));
    }
    format!("not valid STIX 2.1: {reason}")
}

/// Why a partner's object must be quarantined, or `None`: an indicator whose
/// STIX pattern compares with a value on a warninglist.
pub fn hold(lists: &warninglist::Warninglists, object: &store::ObjectFacts<'_>) -> Option<String> {
    if !object.is_indicator() || object.pattern_type.unwrap_or("stix") != "stix" {
        return None;
    }
    let pattern = object.pattern?;
    // A pattern that does not parse cannot match anything either.
    first_hit(lists.check(pattern).ok()?)
}

/// The quarantine reason for a pattern's warninglist hits, if it has any.
fn first_hit(hits: Vec<warninglist::Hit>) -> Option<String> {
    let first = hits.first()?;
    Some(match hits.len() {
        1 => first.to_string(),
        n => format!("{first} (and {} more)", n - 1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_stix_indicators_that_hit_a_list_are_held() {
        let config = WarninglistConfig {
            domains: vec!["elections.example.gov".into()],
            ..WarninglistConfig::default()
        };
        let lists = build(&config).unwrap();
        let indicator = |pattern: &str, pattern_type: &str| json!({"type": "indicator", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "pattern": pattern, "pattern_type": pattern_type});
        for (object, held) in [
            (
                indicator("[domain-name:value = 'www.elections.example.gov']", "stix"),
                true,
            ),
            (indicator("[ipv4-addr:value = '10.1.2.3']", "stix"), true),
            (
                indicator("[domain-name:value = 'phish-login-portal.net']", "stix"),
                false,
            ),
            (indicator("www.elections.example.gov", "snort"), false),
            (indicator("[not a pattern", "stix"), false),
            (
                json!({"type": "domain-name", "value": "elections.example.gov"}),
                false,
            ),
        ] {
            let facts = store::ObjectFacts::of(&object);
            assert_eq!(hold(&lists, &facts).is_some(), held, "{object}");
        }
        let object = indicator("[domain-name:value = 'elections.example.gov']", "stix");
        let reason = hold(&lists, &store::ObjectFacts::of(&object));
        assert_eq!(
            reason.as_deref(),
            Some(
                "domain elections.example.gov is on the local allowlist (entry elections.example.gov)"
            )
        );
    }

    /// A valid indicator, with one property changed by `edit`.
    fn judged(edit: impl FnOnce(&mut serde_json::Value)) -> store::Verdict {
        let config = WarninglistConfig {
            domains: vec!["elections.example.gov".into()],
            ..WarninglistConfig::default()
        };
        let lists = build(&config).unwrap();
        let mut object = json!({
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2026-10-01T08:00:00.000Z", "modified": "2026-10-01T08:00:00.000Z",
            "name": "Phishing portal", "description": "Credential phishing",
            "indicator_types": ["malicious-activity"],
            "pattern": "[domain-name:value = 'phish-login-portal.net']",
            "pattern_type": "stix", "valid_from": "2026-10-01T08:00:00Z"
        });
        edit(&mut object);
        judge(&lists, object)
    }

    macro_rules! verdict {
        ($name:ident, $edit:expr, $want:pat) => {
            #[test]
            fn $name() {
                let got = judged($edit);
                assert!(matches!(got, $want), "{got:?}");
            }
        };
    }
    use store::Verdict::{Hold, Invalid, Use};
    verdict!(a_valid_indicator_is_used, |_| {}, Use);
    verdict!(
        a_custom_property_is_only_a_should,
        |o| o["x_score"] = json!(7),
        Use
    );
    verdict!(
        a_hit_on_a_warninglist_is_held,
        |o| o["pattern"] = json!("[domain-name:value = 'elections.example.gov']"),
        Hold(_)
    );
    verdict!(
        an_unparsable_pattern_is_invalid,
        |o| o["pattern"] = json!("[domain-name:value = 'x.net'"),
        Invalid(_)
    );
    verdict!(
        confidence_500_is_invalid,
        |o| o["confidence"] = json!(500),
        Invalid(_)
    );
    verdict!(
        revoked_as_a_string_is_invalid,
        |o| o["revoked"] = json!("no"),
        Invalid(_)
    );
    verdict!(
        another_type_with_an_indicator_id_is_invalid_not_checked,
        |o| {
            o["type"] = json!("x-threat-indicator");
            o["pattern"] = json!("[domain-name:value = 'elections.example.gov']");
        },
        Invalid(_)
    );

    #[test]
    fn an_invalid_object_is_held_with_the_validators_message() {
        let got = judged(|o| o["confidence"] = json!(500));
        let Invalid(reason) = got else {
            panic!("{got:?}")
        };
        assert!(
            reason.starts_with(
                "not valid STIX 2.1: indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f: $.confidence"
            ),
            "{reason}"
        );
    }

    #[test]
    fn an_unreadable_list_stops_the_node_with_its_name() {
        let config = WarninglistConfig {
            misp: vec!["/nonexistent/list.json".into()],
            ..WarninglistConfig::default()
        };
        let err = build(&config).unwrap_err();
        assert!(err.contains("/nonexistent/list.json"), "{err}");
    }
}
