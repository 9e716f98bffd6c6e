//! Laws on generated input.
//!
//! * For every tree that satisfies the invariants listed on `pattern::Pattern`,
//!   `parse(tree.to_string()) == tree` (spans aside: they never take part in
//!   equality).
//! * `parse` returns, and never panics, on any text; what it accepts prints to
//!   a text that parses to the same tree.
//!
//! The generator makes trees that are valid by construction: object types are
//! identifiers that are not keywords, `AND` inside a `[…]` only joins
//! comparisons that share an object type, sets hold one kind of value, and so
//! on. Keys are arbitrary strings (the printer must quote them), except
//! `hashes`, which would bring in the reference validator's hash check.

use pattern::{
    CompareOp, Comparison, ComparisonExpr, ComparisonKind, Literal, ObjectPath, ObservationExpr,
    ObservationKind, PathStep, Pattern, Qualifier, QualifierKind, Span, Test, Text, Timestamp,
    Value, ValueClass,
};
use proptest::prelude::*;
use proptest::strategy::Union;

const KEYWORDS: &[&str] = &[
    "AND",
    "OR",
    "NOT",
    "FOLLOWEDBY",
    "LIKE",
    "MATCHES",
    "ISSUPERSET",
    "ISSUBSET",
    "EXISTS",
    "LAST",
    "IN",
    "START",
    "STOP",
    "SECONDS",
    "true",
    "false",
    "WITHIN",
    "REPEATS",
    "TIMES",
];

fn span() -> Span {
    Span::default()
}

fn object_type() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("file".to_owned()),
        Just("domain-name".to_owned()),
        Just("x-custom_1".to_owned()),
        Just("t".to_owned()),
        "[a-zA-Z_][a-zA-Z0-9_-]{0,10}".prop_filter("keywords are not types", |s| {
            !KEYWORDS.contains(&s.as_str())
        }),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z_][a-z0-9_]{0,8}",
        1 => prop::sample::select(vec!["IN", "true", "SHA-256", "it's", "a\\b", "", "t", "h", "_"])
            .prop_map(str::to_owned),
        2 => any::<String>(),
    ]
    .prop_filter("hashes brings in the hash check", |k| k != "hashes")
}

fn path(object_type: String) -> impl Strategy<Value = ObjectPath> {
    let step = prop_oneof![
        key().prop_map(PathStep::Key),
        any::<u64>().prop_map(PathStep::Index),
        Just(PathStep::AnyIndex),
    ];
    (key(), prop::collection::vec(step, 0..4)).prop_map(move |(property, steps)| ObjectPath {
        object_type: object_type.clone(),
        property,
        steps,
        span: span(),
    })
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    (
        0..=9999u32,
        1..=12u32,
        1..=28u32,
        0..24u32,
        0..60u32,
        0..=60u32,
        prop::option::of("[0-9]{1,12}"),
    )
        .prop_map(|(y, mo, d, h, mi, s, frac)| {
            let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
            let text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}Z");
            Timestamp::new(&text).expect("generated timestamps are valid")
        })
}

fn finite() -> impl Strategy<Value = f64> {
    any::<f64>().prop_filter("finite", |x| x.is_finite())
}

fn value_of(class: ValueClass) -> BoxedStrategy<Value> {
    match class {
        ValueClass::Number => prop_oneof![
            any::<i64>().prop_map(|i| Value::Int(i.into())),
            any::<i128>().prop_map(Value::Int),
            finite().prop_map(Value::Float),
        ]
        .boxed(),
        ValueClass::String => any::<String>().prop_map(Value::Str).boxed(),
        ValueClass::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        ValueClass::Bytes => prop_oneof![
            prop::collection::vec(any::<u8>(), 0..12).prop_map(Value::Hex),
            // The grammar has no empty base64 literal.
            prop::collection::vec(any::<u8>(), 1..12).prop_map(Value::Binary),
        ]
        .boxed(),
        ValueClass::Timestamp => timestamp().prop_map(Value::Timestamp).boxed(),
    }
}

fn literal_of(class: ValueClass) -> impl Strategy<Value = Literal> {
    value_of(class).prop_map(|value| Literal {
        value,
        span: span(),
    })
}

fn class() -> impl Strategy<Value = ValueClass> {
    prop::sample::select(vec![
        ValueClass::Number,
        ValueClass::String,
        ValueClass::Bool,
        ValueClass::Bytes,
        ValueClass::Timestamp,
    ])
}

fn text() -> impl Strategy<Value = Text> {
    any::<String>().prop_map(|value| Text {
        value,
        span: span(),
    })
}

fn test() -> impl Strategy<Value = Test> {
    let ordered = prop::sample::select(vec![
        CompareOp::Lt,
        CompareOp::Le,
        CompareOp::Gt,
        CompareOp::Ge,
    ]);
    let unordered = prop::sample::select(vec![CompareOp::Eq, CompareOp::Ne]);
    prop_oneof![
        (unordered, class().prop_flat_map(literal_of))
            .prop_map(|(op, value)| Test::Compare { op, value }),
        (
            ordered,
            class()
                .prop_filter("booleans have no order", |c| *c != ValueClass::Bool)
                .prop_flat_map(literal_of)
        )
            .prop_map(|(op, value)| Test::Compare { op, value }),
        class()
            .prop_flat_map(|c| prop::collection::vec(literal_of(c), 0..4))
            .prop_map(Test::In),
        text().prop_map(Test::Like),
        text().prop_map(Test::Matches),
        text().prop_map(Test::IsSubset),
        text().prop_map(Test::IsSuperset),
        Just(Test::Exists),
    ]
}

fn comparison(types: Vec<String>) -> impl Strategy<Value = ComparisonExpr> {
    (
        prop::sample::select(types).prop_flat_map(path),
        any::<bool>(),
        test(),
    )
        .prop_map(|(path, negated, test)| ComparisonExpr {
            kind: ComparisonKind::Test(Comparison {
                path,
                negated,
                test,
                span: span(),
            }),
            span: span(),
        })
}

/// The object types a comparison expression can match; empty when an `AND`
/// has no type in common (which the spec forbids).
fn types(e: &ComparisonExpr) -> Vec<String> {
    match &e.kind {
        ComparisonKind::Test(c) => vec![c.path.object_type.clone()],
        ComparisonKind::Or(ops) => {
            let mut all: Vec<String> = ops.iter().flat_map(types).collect();
            all.sort();
            all.dedup();
            all
        }
        ComparisonKind::And(ops) => {
            let mut shared = types(&ops[0]);
            for op in &ops[1..] {
                let t = types(op);
                shared.retain(|s| t.contains(s));
            }
            shared
        }
    }
}

fn all_ands_satisfiable(e: &ComparisonExpr) -> bool {
    match &e.kind {
        ComparisonKind::Test(_) => true,
        ComparisonKind::Or(ops) | ComparisonKind::And(ops) => {
            !types(e).is_empty() && ops.iter().all(all_ands_satisfiable)
        }
    }
}

/// The inside of one `[…]`: comparisons over one or two object types.
fn comparisons() -> impl Strategy<Value = ComparisonExpr> {
    (object_type(), object_type(), any::<bool>())
        .prop_flat_map(|(a, b, two)| {
            let types = if two { vec![a, b] } else { vec![a] };
            comparison(types).prop_recursive(3, 12, 3, |inner| {
                let ops = prop::collection::vec(inner, 2..4);
                prop_oneof![
                    ops.clone().prop_map(|ops| ComparisonExpr {
                        kind: ComparisonKind::And(ops),
                        span: span(),
                    }),
                    ops.prop_map(|ops| ComparisonExpr {
                        kind: ComparisonKind::Or(ops),
                        span: span(),
                    }),
                ]
            })
        })
        .prop_filter("AND needs a shared object type", all_ands_satisfiable)
}

/// One to three qualifiers, each kind at most once, in any order.
fn qualifiers() -> impl Strategy<Value = Vec<Qualifier>> {
    let within = prop_oneof![
        (1..100_000u32).prop_map(f64::from),
        finite().prop_filter("positive", |x| *x > 0.0),
    ]
    .prop_map(|seconds| QualifierKind::Within { seconds });
    let repeats = (1..=u64::MAX).prop_map(|times| QualifierKind::Repeats { times });
    let start_stop = (timestamp(), timestamp())
        .prop_map(|(start, stop)| QualifierKind::StartStop { start, stop });
    (
        within,
        repeats,
        start_stop,
        Just(vec![0usize, 1, 2]).prop_shuffle(),
        1..=3usize,
    )
        .prop_map(|(w, r, s, order, n)| {
            let kinds = [w, r, s];
            order[..n]
                .iter()
                .map(|&i| Qualifier {
                    kind: kinds[i].clone(),
                    span: span(),
                })
                .collect()
        })
}

fn observation() -> impl Strategy<Value = ObservationExpr> {
    let leaf = comparisons().prop_map(|c| ObservationExpr {
        kind: ObservationKind::Simple(c),
        span: span(),
    });
    leaf.prop_recursive(4, 16, 3, |inner| {
        let ops = prop::collection::vec(inner.clone(), 2..4);
        let node = |kind| ObservationExpr { kind, span: span() };
        Union::new(vec![
            ops.clone()
                .prop_map(move |o| node(ObservationKind::And(o)))
                .boxed(),
            ops.clone()
                .prop_map(move |o| node(ObservationKind::Or(o)))
                .boxed(),
            ops.prop_map(move |o| node(ObservationKind::FollowedBy(o)))
                .boxed(),
            (inner, qualifiers())
                .prop_map(move |(i, qualifiers)| {
                    node(ObservationKind::Qualified {
                        inner: Box::new(i),
                        qualifiers,
                    })
                })
                .boxed(),
        ])
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn print_then_parse_is_the_identity(observation in observation()) {
        let tree = Pattern { observation };
        let text = tree.to_string();
        match pattern::parse(&text) {
            Ok(back) => prop_assert_eq!(back, tree, "printed as {}", text),
            Err(e) => prop_assert!(false, "the printed tree does not parse:\n{}", e.render(&text)),
        }
    }

    #[test]
    fn parse_never_panics_and_accepts_only_what_prints_back(
        text in prop_oneof![
            any::<String>(),
            // Pattern-like soup, which gets further into the parser.
            prop::collection::vec(
                prop::sample::select(vec![
                    "[", "]", "(", ")", "a:b", "x-y:z", ".c", "[0]", "[*]", "=", "!=", "<", ">=",
                    " AND ", " OR ", " FOLLOWEDBY ", " NOT ", "EXISTS ", " IN ", " LIKE ",
                    " WITHIN 5 SECONDS", " REPEATS 2 TIMES", " START t'2016-01-01T00:00:00Z' STOP t'2016-01-01T00:00:01Z'",
                    "'s'", "1", "-2.5", "true", "h'00'", "b'AA=='", ", ", "/* c */", "\n",
                ]),
                0..24,
            )
            .prop_map(|parts| parts.concat()),
        ]
    ) {
        if let Ok(tree) = pattern::parse(&text) {
            let printed = tree.to_string();
            let back = pattern::parse(&printed);
            prop_assert!(back.is_ok(), "{:?} printed as {:?}, which does not parse", text, printed);
            prop_assert_eq!(back.unwrap(), tree);
        }
    }
}

/// The generator does reach every kind of node.
#[test]
fn the_generator_reaches_every_kind() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    fn walk(e: &ObservationExpr, seen: &mut [bool; 4]) {
        match &e.kind {
            ObservationKind::Simple(_) => seen[0] = true,
            ObservationKind::Qualified { inner, .. } => {
                seen[1] = true;
                walk(inner, seen);
            }
            ObservationKind::And(ops)
            | ObservationKind::Or(ops)
            | ObservationKind::FollowedBy(ops) => {
                seen[2] |= matches!(e.kind, ObservationKind::FollowedBy(_));
                seen[3] |= ops
                    .iter()
                    .any(|o| std::mem::discriminant(&o.kind) == std::mem::discriminant(&e.kind));
                ops.iter().for_each(|o| walk(o, seen));
            }
        }
    }
    let mut runner = TestRunner::deterministic();
    let mut seen = [false; 4];
    for _ in 0..200 {
        let tree = observation().new_tree(&mut runner).unwrap().current();
        walk(&tree, &mut seen);
    }
    assert_eq!(
        seen, [true; 4],
        "simple, qualified, FOLLOWEDBY, same-operator group"
    );
}
