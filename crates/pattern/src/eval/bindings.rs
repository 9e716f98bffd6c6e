//! Observation expressions: the search for bindings of observation instances.

use std::collections::BTreeSet;

use super::observed::Observations;
use super::{EvalError, compare, time};
use crate::ast::{ObservationExpr, ObservationKind, QualifierKind};

/// The instances one way of matching uses, sorted. Every operator depends
/// only on this set, so bindings that use the same instances are one.
type Binding = Vec<usize>;
type Bindings = BTreeSet<Binding>;

/// All bindings of `expr`; the pattern matches when there is one.
pub(crate) fn evaluate(
    expr: &ObservationExpr,
    obs: &Observations<'_>,
) -> Result<Bindings, EvalError> {
    match &expr.kind {
        ObservationKind::Simple(cmp) => {
            let mut out = Bindings::new();
            let mut instance = 0;
            for o in &obs.list {
                let mut hit = false;
                for root in &o.roots {
                    hit |= compare::holds(cmp, root, o)?;
                }
                if hit {
                    out.extend((instance..instance + o.count).map(|i| vec![i]));
                }
                instance += o.count;
            }
            Ok(out)
        }
        ObservationKind::Or(items) => {
            let mut out = Bindings::new();
            for e in items {
                out.extend(evaluate(e, obs)?);
            }
            Ok(out)
        }
        // `a AND b AND c` is `(a AND b) AND c`, as the grammar groups it.
        ObservationKind::And(items) => fold(items, obs, |_, _| true),
        ObservationKind::FollowedBy(items) => fold(items, obs, |l, r| {
            // The most favourable timestamps: the left side as early and the
            // right side as late as their intervals allow.
            let latest_left_first = l.iter().map(|&i| obs.interval(i).0).max();
            let earliest_right_last = r.iter().map(|&i| obs.interval(i).1).min();
            latest_left_first <= earliest_right_last
        }),
        ObservationKind::Qualified { inner, qualifiers } => {
            let mut found = evaluate(inner, obs)?;
            for q in qualifiers {
                found = match &q.kind {
                    QualifierKind::Within { seconds } => {
                        let window = window_nanos(*seconds);
                        found
                            .into_iter()
                            .filter(|b| within(b, window, obs))
                            .collect()
                    }
                    QualifierKind::Repeats { times } => repeat(&found, *times),
                    QualifierKind::StartStop { start, stop } => {
                        let start = time::parse(start.as_str())?;
                        let stop = time::parse(stop.as_str())?;
                        if start < stop {
                            // [start, stop) must overlap [first, last].
                            found
                                .into_iter()
                                .filter(|b| {
                                    b.iter().all(|&i| {
                                        let (first, last) = obs.interval(i);
                                        first < stop && start <= last
                                    })
                                })
                                .collect()
                        } else {
                            Bindings::new()
                        }
                    }
                };
            }
            Ok(found)
        }
    }
}

fn fold(
    items: &[ObservationExpr],
    obs: &Observations<'_>,
    ok: impl Fn(&Binding, &Binding) -> bool,
) -> Result<Bindings, EvalError> {
    let mut acc: Option<Bindings> = None;
    for e in items {
        let right = evaluate(e, obs)?;
        acc = Some(match acc {
            None => right,
            Some(left) => {
                let mut out = Bindings::new();
                for l in &left {
                    for r in &right {
                        if disjoint(l, r) && ok(l, r) {
                            out.insert(union(l, r));
                        }
                    }
                }
                out
            }
        });
    }
    Ok(acc.unwrap_or_default())
}

fn disjoint(a: &Binding, b: &Binding) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return false,
        }
    }
    true
}

fn union(a: &Binding, b: &Binding) -> Binding {
    let mut u: Binding = a.iter().chain(b).copied().collect();
    u.sort_unstable();
    u
}

/// The window in nanoseconds (the reference works in microseconds; a window
/// is a whole number of them in practice).
fn window_nanos(seconds: f64) -> i128 {
    // Finite and positive by the parser's invariants; saturating otherwise.
    (seconds * 1e9).round() as i128
}

/// Whether timestamps can be chosen in each instance's interval so that all
/// lie within `window`: spec 9.5.1 makes the window half-open, so the latest
/// must come strictly before the earliest plus the window.
fn within(b: &Binding, window: i128, obs: &Observations<'_>) -> bool {
    let Some(earliest_last) = b.iter().map(|&i| obs.interval(i).1).min() else {
        return true;
    };
    b.iter()
        .all(|&i| obs.interval(i).0 < earliest_last.saturating_add(window))
}

/// Unions of `times` pairwise disjoint bindings.
fn repeat(found: &Bindings, times: u64) -> Bindings {
    let list: Vec<&Binding> = found.iter().collect();
    let mut out = Bindings::new();
    let Ok(times) = usize::try_from(times) else {
        return out;
    };
    if times > list.len() {
        return out;
    }
    // The same partial union reached by different choices leads to the same
    // results: remember the states seen, or the search is exponential.
    fn go(
        list: &[&Binding],
        from: usize,
        left: usize,
        acc: &Binding,
        out: &mut Bindings,
        seen: &mut std::collections::HashSet<(usize, usize, Binding)>,
    ) {
        if left == 0 {
            out.insert(acc.clone());
            return;
        }
        if !seen.insert((from, left, acc.clone())) {
            return;
        }
        for k in from..list.len() {
            if list.len() - k < left {
                break;
            }
            if disjoint(acc, list[k]) {
                go(list, k + 1, left - 1, &union(acc, list[k]), out, seen);
            }
        }
    }
    go(
        &list,
        0,
        times,
        &Vec::new(),
        &mut out,
        &mut Default::default(),
    );
    out
}
