//! Downloads ahead of the consumer, in order, with a bounded number of results alive.
//!
//! Reading packs from an object store (restore, `check --read-data`) is latency-bound
//! when they are fetched one at a time: each GET waits a round trip and the server's
//! first byte. `depth` fetches in flight hide that, and at most `depth` fetched results
//! exist at any moment (in flight or waiting), so memory stays at `depth` packs
//! whatever the snapshot's size.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crossbeam_channel::{bounded, unbounded};

/// Calls `fetch` on every item from `depth` threads and hands the results to `consume`
/// in the items' order. A result counts against `depth` until `consume` returns, so
/// `depth - 1` fetches overlap each call of `consume`. Stops at the first error of
/// `consume` and returns it; errors of `fetch` are part of its result type, for
/// `consume` to judge.
pub fn in_order<T, R, E>(
    items: Vec<T>,
    depth: usize,
    fetch: impl Fn(T) -> R + Sync,
    mut consume: impl FnMut(R) -> Result<(), E>,
) -> Result<(), E>
where
    T: Send,
    R: Send,
{
    let depth = depth.max(1);
    let count = items.len();
    let queue = Mutex::new(items.into_iter().enumerate());
    let stop = AtomicBool::new(false);
    // A token per result that may exist; the consumer hands one back per result used.
    let (token_tx, token_rx) = bounded::<()>(depth);
    for _ in 0..depth {
        token_tx.send(()).expect("capacity is depth");
    }
    let (done_tx, done_rx) = unbounded::<(usize, R)>();
    std::thread::scope(|s| {
        for _ in 0..depth.min(count) {
            let (token_rx, done_tx) = (token_rx.clone(), done_tx.clone());
            let (queue, stop, fetch) = (&queue, &stop, &fetch);
            s.spawn(move || {
                // Items are taken in order only after a token, so the item the
                // consumer waits for is always in flight or next to be taken.
                while token_rx.recv().is_ok() && !stop.load(Ordering::Relaxed) {
                    let Some((i, item)) = queue.lock().unwrap().next() else {
                        break;
                    };
                    if done_tx.send((i, fetch(item))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        let result = (|| {
            let mut waiting = BTreeMap::new();
            for next in 0..count {
                let r = loop {
                    if let Some(r) = waiting.remove(&next) {
                        break r;
                    }
                    let (i, r) = done_rx.recv().expect("a worker holds every item");
                    waiting.insert(i, r);
                };
                consume(r)?;
                // The workers may have finished; a refused token is then harmless.
                let _ = token_tx.try_send(());
            }
            Ok(())
        })();
        stop.store(true, Ordering::Relaxed);
        // Wakes workers waiting for a token so they see `stop` and end.
        drop(token_tx);
        drop(done_rx);
        result
    })
}

#[cfg(test)]
mod tests {
    use super::in_order;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn results_come_in_order_with_bounded_lookahead() {
        for depth in [1, 2, 4, 16] {
            let alive = AtomicUsize::new(0);
            let peak = AtomicUsize::new(0);
            let items: Vec<u64> = (0..40).collect();
            let mut seen = Vec::new();
            in_order(
                items,
                depth,
                |i| {
                    let n = alive.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(n, Ordering::SeqCst);
                    // Later items finish first, to exercise the reordering.
                    std::thread::sleep(Duration::from_micros(500 * (40 - i)));
                    i
                },
                |r| {
                    seen.push(r);
                    alive.fetch_sub(1, Ordering::SeqCst);
                    Ok::<(), ()>(())
                },
            )
            .unwrap();
            assert_eq!(seen, (0..40).collect::<Vec<_>>(), "depth {depth}");
            assert!(peak.load(Ordering::SeqCst) <= depth, "depth {depth}");
        }
    }

    #[test]
    fn a_consumer_error_stops_everything() {
        let fetched = AtomicUsize::new(0);
        let err = in_order(
            (0..1000).collect::<Vec<u32>>(),
            4,
            |i| {
                fetched.fetch_add(1, Ordering::SeqCst);
                i
            },
            |r| if r == 3 { Err(r) } else { Ok(()) },
        );
        assert_eq!(err, Err(3));
        assert!(fetched.load(Ordering::SeqCst) <= 8);
        assert_eq!(
            in_order(Vec::<u8>::new(), 3, |i| i, |_| Err::<(), ()>(())),
            Ok(())
        );
    }
}
