//! Observation expressions: the search for bindings of observation instances.

use std::cell::Cell;
use std::collections::BTreeSet;

use super::observed::Observations;
use super::{EvalError, compare, time};
use crate::ast::{ObservationExpr, ObservationKind, QualifierKind};

/// The instances one way of matching uses, sorted. Every operator depends
/// only on this set, so bindings that use the same instances are one.
type Binding = Vec<usize>;
type Bindings = BTreeSet<Binding>;

thread_local! {
    /// Steps of binding search this thread may still take; see [`with_budget`].
    static BUDGET: Cell<u64> = const { Cell::new(u64::MAX) };
}

/// Runs `f` with at most `steps` steps of binding search (pairs of bindings
/// combined, partial repetitions tried), after which the search fails with
/// [`EvalError::TooComplex`]. Observation operators over many observations
/// can need exponentially many steps; a caller that evaluates untrusted
/// patterns bounds them.
pub(crate) fn with_budget<T>(steps: u64, f: impl FnOnce() -> T) -> T {
    let before = BUDGET.with(|b| b.replace(steps));
    let out = f();
    BUDGET.with(|b| b.set(before));
    out
}

fn spend(steps: u64) -> Result<(), EvalError> {
    BUDGET.with(|b| {
        let left = b.get();
        if left < steps {
            Err(EvalError::TooComplex)
        } else {
            b.set(left - steps);
            Ok(())
        }
    })
}

/// Whether `expr` has a binding. The same verdict as `!evaluate(..).is_empty()`,
/// found without listing every binding where the top operator allows it:
/// an `OR` stops at its first operand that matches, a `REPEATS` last at the
/// top searches for one set of disjoint repetitions, and the last step of an
/// `AND` or `FOLLOWEDBY` stops at its first pair.
pub(crate) fn exists(expr: &ObservationExpr, obs: &Observations<'_>) -> Result<bool, EvalError> {
    match &expr.kind {
        ObservationKind::Or(items) => {
            // Every operand is evaluated, so that an error anywhere is
            // reported as the full evaluation reports it.
            let mut any = false;
            for e in items {
                any |= exists(e, obs)?;
            }
            Ok(any)
        }
        ObservationKind::Qualified { inner, qualifiers }
            if matches!(
                qualifiers.last().map(|q| &q.kind),
                Some(QualifierKind::Repeats { .. })
            ) =>
        {
            let Some((last, rest)) = qualifiers.split_last() else {
                return Ok(false);
            };
            let QualifierKind::Repeats { times } = last.kind else {
                return Ok(false);
            };
            let found = if rest.is_empty() {
                evaluate(inner, obs)?
            } else {
                let partial = ObservationExpr {
                    kind: ObservationKind::Qualified {
                        inner: inner.clone(),
                        qualifiers: rest.to_vec(),
                    },
                    span: expr.span,
                };
                evaluate(&partial, obs)?
            };
            repeat_exists(&found, times)
        }
        ObservationKind::And(items) | ObservationKind::FollowedBy(items) if items.len() >= 2 => {
            let followed = matches!(expr.kind, ObservationKind::FollowedBy(_));
            let (last, init) = items.split_last().ok_or(EvalError::TooComplex)?;
            let left = if init.len() == 1 {
                evaluate(&init[0], obs)?
            } else {
                let kind = if followed {
                    ObservationKind::FollowedBy(init.to_vec())
                } else {
                    ObservationKind::And(init.to_vec())
                };
                evaluate(
                    &ObservationExpr {
                        kind,
                        span: expr.span,
                    },
                    obs,
                )?
            };
            let right = evaluate(last, obs)?;
            for l in &left {
                for r in &right {
                    spend(1)?;
                    if disjoint(l, r) && (!followed || followed_by(l, r, obs)) {
                        return Ok(true);
                    }
                }
            }
            Ok(false)
        }
        _ => Ok(!evaluate(expr, obs)?.is_empty()),
    }
}

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
        ObservationKind::FollowedBy(items) => fold(items, obs, |l, r| followed_by(l, r, obs)),
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
                    QualifierKind::Repeats { times } => repeat(&found, *times)?,
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

/// Whether `r` can come after `l`: the most favourable timestamps put the
/// left side as early and the right side as late as their intervals allow.
fn followed_by(l: &Binding, r: &Binding, obs: &Observations<'_>) -> bool {
    let latest_left_first = l.iter().map(|&i| obs.interval(i).0).max();
    let earliest_right_last = r.iter().map(|&i| obs.interval(i).1).min();
    latest_left_first <= earliest_right_last
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
                        spend(1)?;
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

/// Whether `times` pairwise disjoint bindings exist: a depth-first search
/// that stops at the first set, remembering the partial unions that failed.
fn repeat_exists(found: &Bindings, times: u64) -> Result<bool, EvalError> {
    let list: Vec<&Binding> = found.iter().collect();
    let Ok(times) = usize::try_from(times) else {
        return Ok(false);
    };
    if times > list.len() {
        return Ok(false);
    }
    fn go(
        list: &[&Binding],
        from: usize,
        left: usize,
        acc: &Binding,
        failed: &mut std::collections::HashSet<(usize, usize, Binding)>,
    ) -> Result<bool, EvalError> {
        if left == 0 {
            return Ok(true);
        }
        if failed.contains(&(from, left, acc.clone())) {
            return Ok(false);
        }
        spend(1)?;
        for k in from..list.len() {
            if list.len() - k < left {
                break;
            }
            if disjoint(acc, list[k]) && go(list, k + 1, left - 1, &union(acc, list[k]), failed)? {
                return Ok(true);
            }
        }
        failed.insert((from, left, acc.clone()));
        Ok(false)
    }
    go(&list, 0, times, &Vec::new(), &mut Default::default())
}

/// Unions of `times` pairwise disjoint bindings.
fn repeat(found: &Bindings, times: u64) -> Result<Bindings, EvalError> {
    let list: Vec<&Binding> = found.iter().collect();
    let mut out = Bindings::new();
    let Ok(times) = usize::try_from(times) else {
        return Ok(out);
    };
    if times > list.len() {
        return Ok(out);
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
    ) -> Result<(), EvalError> {
        if left == 0 {
            out.insert(acc.clone());
            return Ok(());
        }
        if !seen.insert((from, left, acc.clone())) {
            return Ok(());
        }
        spend(1)?;
        for k in from..list.len() {
            if list.len() - k < left {
                break;
            }
            if disjoint(acc, list[k]) {
                go(list, k + 1, left - 1, &union(acc, list[k]), out, seen)?;
            }
        }
        Ok(())
    }
    go(
        &list,
        0,
        times,
        &Vec::new(),
        &mut out,
        &mut Default::default(),
    )?;
    Ok(out)
}
