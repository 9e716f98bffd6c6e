//! Traffic Light Protocol markings, versions 1.0 and 2.0.
//!
//! TLP 1.0 marking-definitions are predefined by STIX 2.1 and referred to by id;
//! TLP 2.0 ones are published by OASIS as a property extension
//! (`extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d`) and are **not**
//! predefined, so a collection must hold them: [`Tlp::v2_marking_json`] gives the
//! exact objects to ship.
//!
//! Mapping of TLP 1.0 onto the TLP 2.0 levels of [`Tlp`]: WHITE → [`Tlp::Clear`]
//! (TLP 2.0 renamed it), GREEN → Green, AMBER → Amber, RED → Red. TLP 1.0 has no
//! AMBER+STRICT. The order of restrictiveness is
//! Clear < Green < Amber < AmberStrict < Red.
//!
//! [`effective_tlp`] only recognises the nine well-known marking-definition ids. A
//! TLP 2.0 marking-definition under another id (allowed by the extension) is not
//! resolved here because the object alone does not say what it contains; the store,
//! which holds the marking-definitions, can resolve those with [`Tlp::from_marking`].

use serde_json::Value;

use crate::Object;

/// A TLP level, ordered from least to most restrictive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tlp {
    /// TLP:CLEAR (TLP 1.0: WHITE). No limit on disclosure.
    Clear,
    /// TLP:GREEN. Within the community.
    Green,
    /// TLP:AMBER. The recipient's organisation and its clients.
    Amber,
    /// TLP:AMBER+STRICT (TLP 2.0 only). The recipient's organisation only.
    AmberStrict,
    /// TLP:RED. Named recipients only.
    Red,
}

/// The id of the OASIS TLP 2.0 extension-definition.
pub const TLP2_EXTENSION_ID: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// `created` of every TLP 1.0 marking-definition.
pub(crate) const TLP1_CREATED: &str = "2017-01-20T00:00:00.000Z";

const V1: [(Tlp, &str, &str); 4] = [
    (
        Tlp::Clear,
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        "white",
    ),
    (
        Tlp::Green,
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        "green",
    ),
    (
        Tlp::Amber,
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        "amber",
    ),
    (
        Tlp::Red,
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
        "red",
    ),
];

const V2: [(Tlp, &str, &str); 5] = [
    (
        Tlp::Clear,
        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        "clear",
    ),
    (
        Tlp::Green,
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        "green",
    ),
    (
        Tlp::Amber,
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        "amber",
    ),
    (
        Tlp::AmberStrict,
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        "amber+strict",
    ),
    (
        Tlp::Red,
        "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        "red",
    ),
];

/// The TLP 2.0 marking-definitions in RFC 8785 canonical form, as published by
/// OASIS (cti-stix-common-objects, `extension-definition-specifications/tlp-2.0`).
const V2_JSON: [&str; 5] = [
    r#"{"created":"2022-10-01T00:00:00.000Z","extensions":{"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":{"extension_type":"property-extension","tlp_2_0":"clear"}},"id":"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487","name":"TLP:CLEAR","spec_version":"2.1","type":"marking-definition"}"#,
    r#"{"created":"2022-10-01T00:00:00.000Z","extensions":{"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":{"extension_type":"property-extension","tlp_2_0":"green"}},"id":"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb","name":"TLP:GREEN","spec_version":"2.1","type":"marking-definition"}"#,
    r#"{"created":"2022-10-01T00:00:00.000Z","extensions":{"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":{"extension_type":"property-extension","tlp_2_0":"amber"}},"id":"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421","name":"TLP:AMBER","spec_version":"2.1","type":"marking-definition"}"#,
    r#"{"created":"2022-10-01T00:00:00.000Z","extensions":{"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":{"extension_type":"property-extension","tlp_2_0":"amber+strict"}},"id":"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003","name":"TLP:AMBER+STRICT","spec_version":"2.1","type":"marking-definition"}"#,
    r#"{"created":"2022-10-01T00:00:00.000Z","extensions":{"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":{"extension_type":"property-extension","tlp_2_0":"red"}},"id":"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1","name":"TLP:RED","spec_version":"2.1","type":"marking-definition"}"#,
];

impl Tlp {
    /// All levels, least restrictive first.
    pub const ALL: [Tlp; 5] = [
        Tlp::Clear,
        Tlp::Green,
        Tlp::Amber,
        Tlp::AmberStrict,
        Tlp::Red,
    ];

    fn index(self) -> usize {
        self as usize
    }

    /// The level a well-known TLP 1.0 or 2.0 marking-definition id stands for.
    pub fn from_marking_ref(id: &str) -> Option<Tlp> {
        V1.iter()
            .chain(V2.iter())
            .find(|(_, i, _)| *i == id)
            .map(|(t, _, _)| *t)
    }

    /// The level a marking-definition object carries: TLP 1.0 `definition.tlp` or
    /// the TLP 2.0 extension's `tlp_2_0`. Works for TLP 2.0 markings under any id.
    pub fn from_marking(marking: &Value) -> Option<Tlp> {
        let m = marking.as_object()?;
        if m.get("type")?.as_str()? != "marking-definition" {
            return None;
        }
        if let Some(level) = m
            .get("extensions")
            .and_then(|e| e.get(TLP2_EXTENSION_ID))
            .and_then(|x| x.get("tlp_2_0"))
            .and_then(Value::as_str)
        {
            return Tlp::from_v2_name(level);
        }
        if m.get("definition_type")?.as_str()? == "tlp" {
            let colour = m.get("definition")?.get("tlp")?.as_str()?;
            return V1.iter().find(|(_, _, c)| *c == colour).map(|(t, _, _)| *t);
        }
        None
    }

    /// Parses a TLP 2.0 `tlp_2_0` value (`clear`, `green`, `amber`, `amber+strict`,
    /// `red`).
    pub fn from_v2_name(name: &str) -> Option<Tlp> {
        V2.iter().find(|(_, _, n)| *n == name).map(|(t, _, _)| *t)
    }

    /// The TLP 2.0 `tlp_2_0` value.
    pub fn v2_name(self) -> &'static str {
        V2[self.index()].2
    }

    /// The id of the TLP 2.0 marking-definition.
    pub fn v2_id(self) -> &'static str {
        V2[self.index()].1
    }

    /// The id of the predefined TLP 1.0 marking-definition (WHITE for Clear);
    /// `None` for AMBER+STRICT, which TLP 1.0 lacks.
    pub fn v1_id(self) -> Option<&'static str> {
        V1.iter().find(|(t, _, _)| *t == self).map(|(_, i, _)| *i)
    }

    /// The TLP 2.0 marking-definition object in RFC 8785 canonical JSON, ready to
    /// be stored and served.
    pub fn v2_marking_json(self) -> &'static str {
        V2_JSON[self.index()]
    }

    /// The TLP 2.0 marking-definition object.
    pub fn v2_marking(self) -> Value {
        // The constants are tested to parse; fall back to Null rather than panic.
        serde_json::from_str(self.v2_marking_json()).unwrap_or(Value::Null)
    }

    /// The label used in TLP 2.0 (`TLP:AMBER+STRICT`).
    pub fn label(self) -> &'static str {
        match self {
            Tlp::Clear => "TLP:CLEAR",
            Tlp::Green => "TLP:GREEN",
            Tlp::Amber => "TLP:AMBER",
            Tlp::AmberStrict => "TLP:AMBER+STRICT",
            Tlp::Red => "TLP:RED",
        }
    }

    /// The TLP 1.0 colour of a predefined TLP 1.0 id (`white`, `green`, …).
    pub(crate) fn v1_colour_of(id: &str) -> Option<&'static str> {
        V1.iter().find(|(_, i, _)| *i == id).map(|(_, _, c)| *c)
    }

    /// The TLP 2.0 level of a well-known TLP 2.0 id.
    pub(crate) fn v2_of(id: &str) -> Option<Tlp> {
        V2.iter().find(|(_, i, _)| *i == id).map(|(t, _, _)| *t)
    }
}

impl std::fmt::Display for Tlp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// The most restrictive TLP level among the object's `object_marking_refs`, looking
/// only at the well-known TLP 1.0 and 2.0 ids; `None` when it has none of them.
pub fn effective_tlp(object: &Object) -> Option<Tlp> {
    object
        .object_marking_refs()
        .filter_map(Tlp::from_marking_ref)
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_of_restrictiveness() {
        assert!(Tlp::Clear < Tlp::Green && Tlp::Green < Tlp::Amber);
        assert!(Tlp::Amber < Tlp::AmberStrict && Tlp::AmberStrict < Tlp::Red);
    }

    #[test]
    fn v1_white_maps_to_clear() {
        assert_eq!(
            Tlp::from_marking_ref("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"),
            Some(Tlp::Clear)
        );
        assert_eq!(Tlp::AmberStrict.v1_id(), None);
    }

    #[test]
    fn v2_constants_are_canonical_and_valid() {
        for t in Tlp::ALL {
            let v = t.v2_marking();
            assert_eq!(
                crate::canonical::to_string(&v).unwrap(),
                t.v2_marking_json()
            );
            assert_eq!(Tlp::from_marking(&v), Some(t));
            assert_eq!(v["id"], t.v2_id());
            assert_eq!(v["name"], t.label());
            let checked = crate::validate(v).unwrap_or_else(|e| panic!("{t}: {e}"));
            assert!(checked.is_marking());
            assert_eq!(Tlp::from_marking_ref(t.v2_id()), Some(t));
        }
    }

    #[test]
    fn effective_is_most_restrictive() {
        let v = serde_json::json!({
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--9a676219-ef05-46fe-a603-ebebd9e5f2b3",
            "created": "2024-10-01T09:15:00.000Z", "modified": "2024-10-01T09:15:00.000Z",
            "name": "n", "description": "d",
            "pattern": "[ipv4-addr:value = '203.0.113.7']", "pattern_type": "stix",
            "valid_from": "2024-10-01T09:15:00Z",
            "object_marking_refs": [
                "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
                Tlp::AmberStrict.v2_id(),
                "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
            ]
        });
        let obj = crate::validate(v).unwrap();
        assert_eq!(effective_tlp(&obj), Some(Tlp::AmberStrict));
    }
}
