//! The process-wide testing mode (`pertinax.testing`): every plan compiled while it is on
//! stops after a fixed number of attempts and never sleeps.
//!
//! It is read only where a plan is compiled, never on a call: switching it bumps the strategy
//! generation, so every cached plan is compiled again on its next call and the hot path pays
//! nothing for the mode existing.

use std::sync::atomic::{AtomicU64, Ordering};

/// 0 when off; otherwise the attempt limit in the low 32 bits, and `CAP` when the limit only
/// caps the controller's own stop instead of replacing it.
static MODE: AtomicU64 = AtomicU64::new(0);
const CAP: u64 = 1 << 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Testing {
    /// Attempts before giving up (at least 1).
    pub attempts: u32,
    /// Stop at `attempts` or when the controller's own stop says so, whichever comes first.
    pub cap: bool,
}

fn encode(mode: Option<Testing>) -> u64 {
    match mode {
        None => 0,
        Some(t) => u64::from(t.attempts.max(1)) | if t.cap { CAP } else { 0 },
    }
}

fn decode(raw: u64) -> Option<Testing> {
    if raw == 0 {
        return None;
    }
    Some(Testing {
        attempts: (raw & u64::from(u32::MAX)) as u32,
        cap: raw & CAP != 0,
    })
}

/// The current mode.
pub fn current() -> Option<Testing> {
    decode(MODE.load(Ordering::Acquire))
}

/// Switches the mode; every plan compiled before is compiled again on its next call.
pub fn set(mode: Option<Testing>) {
    // Stored before the generation moves: a plan compiled in between read the generation
    // first, so it is stale as soon as the bump lands.
    MODE.store(encode(mode), Ordering::Release);
    crate::strategy::invalidate_all();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for mode in [
            None,
            Some(Testing {
                attempts: 1,
                cap: false,
            }),
            Some(Testing {
                attempts: 7,
                cap: true,
            }),
            Some(Testing {
                attempts: u32::MAX,
                cap: true,
            }),
        ] {
            assert_eq!(decode(encode(mode)), mode);
        }
    }

    #[test]
    fn zero_attempts_means_one() {
        assert_eq!(
            decode(encode(Some(Testing {
                attempts: 0,
                cap: false
            }))),
            Some(Testing {
                attempts: 1,
                cap: false
            })
        );
    }

    #[test]
    fn switching_moves_the_generation() {
        let before = crate::strategy::generation();
        set(Some(Testing {
            attempts: 2,
            cap: false,
        }));
        assert!(crate::strategy::generation() > before);
        assert_eq!(
            current(),
            Some(Testing {
                attempts: 2,
                cap: false
            })
        );
        set(None);
        assert_eq!(current(), None);
    }
}
