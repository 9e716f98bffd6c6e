//! The sequencer: the one thread that writes to the store.
//!
//! It owns the writer [`Store`] and with it the right edge of every log, so
//! no two writes race for a log's next index. Requests that arrive while a
//! batch commits are grouped by collection into the next transaction (group
//! commit): one fsync and one signed checkpoint cover several envelopes, and
//! each envelope still succeeds or fails as a whole.

use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc;
use std::thread;

use stix::{Object, Validated};
use store::{ObjectOutcome, Outcome, Store, StoreError};
use tokio::sync::oneshot;

use crate::metrics::Metrics;

/// Builds a request's status resource from its objects' outcomes, inside the
/// transaction that stores them.
pub type StatusFn = Box<dyn FnOnce(&[ObjectOutcome]) -> store::Status + Send>;

/// What a committed append job gives back.
#[derive(Debug)]
pub struct Appended {
    /// One outcome per object, in order.
    pub results: Vec<ObjectOutcome>,
    /// The status resource stored with them.
    pub status: String,
}

/// One envelope's valid objects, to append to one collection.
struct AppendJob {
    collection: String,
    objects: Vec<Validated<Object>>,
    status: StatusFn,
    reply: oneshot::Sender<Result<Appended, String>>,
}

enum Job {
    Append(AppendJob),
    Withdraw {
        collection: String,
        id: String,
        reply: oneshot::Sender<Result<u64, StoreError>>,
    },
}

/// Objects grouped into one transaction at most; bounds a commit's size.
const GROUP_OBJECTS: usize = 8192;

/// The handle to the sequencer thread. Dropping every clone stops the thread
/// once the jobs already sent are done.
#[derive(Clone)]
pub struct Sequencer {
    // A std channel: the receiving end is a plain thread, and sending never blocks.
    jobs: mpsc::Sender<Job>,
}

impl Sequencer {
    /// Opens the writer store and starts the thread.
    pub fn start(
        data_dir: &Path,
        metrics: Metrics,
    ) -> Result<(Sequencer, thread::JoinHandle<()>), StoreError> {
        let store = Store::open(data_dir)?;
        // The housekeeping thread copies the WAL into the database; the
        // writer's commits only do it if that falls behind by 128 MiB.
        store.defer_wal_checkpoints(8192)?;
        let (tx, rx) = mpsc::channel();
        let handle = thread::Builder::new()
            .name("entente-sequencer".into())
            .spawn(move || run(store, rx, metrics))
            .map_err(|source| StoreError::Io {
                path: data_dir.to_owned(),
                source,
            })?;
        Ok((Sequencer { jobs: tx }, handle))
    }

    /// Appends one envelope's objects to a collection, storing the status
    /// `status` makes in the same transaction; resolves once both are durable.
    pub async fn append(
        &self,
        collection: String,
        objects: Vec<Validated<Object>>,
        status: StatusFn,
    ) -> Result<Appended, String> {
        let (reply, wait) = oneshot::channel();
        let job = AppendJob {
            collection,
            objects,
            status,
            reply,
        };
        self.jobs
            .send(Job::Append(job))
            .map_err(|_| "the node is shutting down; nothing was stored".to_owned())?;
        wait.await
            .map_err(|_| "the writer stopped; nothing was stored".to_owned())?
    }

    /// Withdraws every version of an object; resolves once durable, with the
    /// withdrawal's log index.
    pub async fn withdraw(&self, collection: String, id: String) -> Result<u64, StoreError> {
        let (reply, wait) = oneshot::channel();
        let unavailable = || StoreError::Unreachable("the writer stopped");
        self.jobs
            .send(Job::Withdraw {
                collection,
                id,
                reply,
            })
            .map_err(|_| unavailable())?;
        wait.await.map_err(|_| unavailable())?
    }
}

fn run(mut store: Store, rx: mpsc::Receiver<Job>, metrics: Metrics) {
    while let Ok(first) = rx.recv() {
        let mut appends: Vec<AppendJob> = Vec::new();
        let mut objects = 0;
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Append(job) => {
                    objects += job.objects.len();
                    appends.push(job);
                }
                Job::Withdraw {
                    collection,
                    id,
                    reply,
                } => {
                    let result = store
                        .withdraw(&collection, &id, store::Micros::now())
                        .map(|(index, _)| index);
                    if let Ok(index) = result {
                        // The withdrawal is the log's last entry.
                        metrics.set_size(&collection, index + 1);
                    }
                    let _ = reply.send(result);
                }
            }
            if objects < GROUP_OBJECTS {
                next = rx.try_recv().ok();
            }
        }
        let mut by_collection: HashMap<String, Vec<AppendJob>> = HashMap::new();
        for job in appends {
            by_collection
                .entry(job.collection.clone())
                .or_default()
                .push(job);
        }
        for (collection, jobs) in by_collection {
            commit_group(&mut store, &collection, jobs, &metrics);
        }
    }
}

/// Appends several jobs' objects to one collection in one transaction; if
/// that fails as a whole, each job is retried alone so one cannot sink the others.
fn commit_group(store: &mut Store, collection: &str, jobs: Vec<AppendJob>, metrics: &Metrics) {
    let single = jobs.len() == 1;
    match try_group(store, collection, jobs) {
        Ok((done, size)) => {
            let added = done
                .iter()
                .flat_map(|(_, a)| &a.results)
                .filter(|r| matches!(r.status, Outcome::Added { .. }))
                .count();
            metrics.record_append(collection, added as u64, size);
            for (reply, appended) in done {
                let _ = reply.send(Ok(appended));
            }
        }
        Err((jobs, error)) if single => {
            tracing::error!(%collection, %error, "append failed; nothing was stored");
            for job in jobs {
                let _ = job.reply.send(Err(format!(
                    "the store failed, nothing was stored: {error}"
                )));
            }
        }
        Err((jobs, _)) => {
            for job in jobs {
                commit_group(store, collection, vec![job], metrics);
            }
        }
    }
}

/// Each job's reply and outcome, and the log's size after the batch.
type Done = (
    Vec<(oneshot::Sender<Result<Appended, String>>, Appended)>,
    u64,
);

/// The jobs come back, rebuilt, when the transaction fails.
fn try_group(
    store: &mut Store,
    collection: &str,
    jobs: Vec<AppendJob>,
) -> Result<Done, (Vec<AppendJob>, StoreError)> {
    let mut counts = Vec::with_capacity(jobs.len());
    let mut all = Vec::new();
    let mut status_fns = Vec::with_capacity(jobs.len());
    let mut replies = Vec::with_capacity(jobs.len());
    for job in jobs {
        counts.push(job.objects.len());
        all.extend(job.objects);
        status_fns.push(job.status);
        replies.push(job.reply);
    }
    let mut bodies: Vec<String> = Vec::with_capacity(counts.len());
    // The status functions are consumed inside the transaction; on failure the
    // retry needs them again, so they are called only through this cell.
    let mut pending_fns: Vec<Option<StatusFn>> = status_fns.into_iter().map(Some).collect();
    let result = store.append_recording(collection, &all, store::Micros::now(), |outcome| {
        let mut statuses = Vec::with_capacity(counts.len());
        let mut start = 0;
        for (count, make) in counts.iter().zip(pending_fns.iter_mut()) {
            let slice = &outcome.results[start..start + count];
            start += count;
            if let Some(make) = make.take() {
                let status = make(slice);
                bodies.push(status.body.clone());
                statuses.push(status);
            }
        }
        statuses
    });
    match result {
        Ok(outcome) => {
            let mut results = outcome.results.into_iter();
            let done = replies
                .into_iter()
                .zip(counts)
                .zip(bodies)
                .map(|((reply, count), status)| {
                    let results = results.by_ref().take(count).collect();
                    (reply, Appended { results, status })
                })
                .collect();
            Ok((done, outcome.size))
        }
        Err(error) => {
            // The transaction rolled back. Rebuild the jobs from what is left:
            // status functions not yet called (the closure may not have run).
            let mut objects = all.into_iter();
            let jobs = replies
                .into_iter()
                .zip(counts)
                .zip(pending_fns)
                .filter_map(|((reply, count), make)| {
                    let objects: Vec<_> = objects.by_ref().take(count).collect();
                    match make {
                        Some(status) => Some(AppendJob {
                            collection: collection.to_owned(),
                            objects,
                            status,
                            reply,
                        }),
                        None => {
                            let _ = reply.send(Err(format!(
                                "the store failed, nothing was stored: {error}"
                            )));
                            None
                        }
                    }
                })
                .collect();
            Err((jobs, error))
        }
    }
}
