use super::*;
use std::collections::HashMap;

fn claims(kind: TokenKind) -> QueueClaims {
    QueueClaims {
        kind,
        session: SessionId::new(),
        user: UserId::new(),
        device: device_fingerprint("phone-0001"),
        seq: 42,
        time_ms: 1_800_000_000_000,
    }
}

#[test]
fn tokens_round_trip_and_cannot_be_forged_or_swapped() {
    let key = TokenKey::new([7; 32]);
    let queue = claims(TokenKind::Queue);
    let token = key.sign(&queue);
    assert_eq!(key.verify(&token, TokenKind::Queue), Ok(queue));
    assert_eq!(
        key.verify(&token, TokenKind::Admission),
        Err(TokenError::WrongKind)
    );
    assert_eq!(
        TokenKey::new([8; 32]).verify(&token, TokenKind::Queue),
        Err(TokenError::BadSignature)
    );
    assert_eq!(
        key.verify(&token[..token.len() - 3], TokenKind::Queue),
        Err(TokenError::Malformed)
    );
    assert_eq!(
        key.verify("garbage!!", TokenKind::Queue),
        Err(TokenError::Malformed)
    );
    // Flipping any byte breaks the signature.
    let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
    for i in 0..bytes.len() {
        bytes[i] ^= 1;
        assert!(
            key.verify(&URL_SAFE_NO_PAD.encode(&bytes), TokenKind::Queue)
                .is_err(),
            "byte {i}"
        );
        bytes[i] ^= 1;
    }
}

#[test]
fn ranks_follow_the_shuffle_then_arrival() {
    let ranks = shuffled_ranks(3, [1; 32]);
    let mut sorted = ranks.clone();
    sorted.sort();
    assert_eq!(sorted, vec![0, 1, 2], "a permutation");
    assert_eq!(
        rank(2, None, None),
        None,
        "before sales open nobody has a rank"
    );
    assert_eq!(
        rank(2, Some(3), Some(&ranks)),
        Some(u64::from(ranks[1]) + 1)
    );
    assert_eq!(
        rank(4, Some(3), Some(&ranks)),
        Some(4),
        "late arrivals are first come, first served"
    );
    assert_eq!(rank(9, Some(3), Some(&ranks)), Some(9));
    assert_eq!(rank(0, Some(3), Some(&ranks)), None);
}

/// Pearson's chi-squared statistic of observed counts against a uniform expectation.
fn chi_squared(counts: &[u64], total: u64) -> f64 {
    let expected = total as f64 / counts.len() as f64;
    counts
        .iter()
        .map(|c| (*c as f64 - expected).powi(2) / expected)
        .sum()
}

#[test]
fn the_shuffle_is_a_uniform_permutation() {
    // Every one of the 24 orders of 4 buyers must be equally likely. With 48,000 shuffles from
    // fixed seeds, chi-squared with 23 degrees of freedom stays below 49.73 (p = 0.001) when
    // the shuffle is uniform; a biased one (e.g. the naive swap-with-any) lands far above.
    let trials = 48_000u64;
    let mut counts: HashMap<Vec<u32>, u64> = HashMap::new();
    for trial in 0..trials {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&trial.to_le_bytes());
        *counts.entry(shuffled_ranks(4, seed)).or_default() += 1;
    }
    assert_eq!(counts.len(), 24, "every order occurs");
    let statistic = chi_squared(&counts.values().copied().collect::<Vec<_>>(), trials);
    assert!(
        statistic < 49.73,
        "chi-squared {statistic:.1} says the shuffle is biased"
    );
}

#[test]
fn every_early_arrival_is_equally_likely_at_every_place() {
    // 10 buyers, 20,000 shuffles: for each buyer, the place they get is uniform over 1..=10
    // (chi-squared, 9 degrees of freedom, below 27.88 at p = 0.001), so arriving first before
    // sales open buys no advantage.
    let (n, trials) = (10usize, 20_000u64);
    let mut places = vec![vec![0u64; n]; n];
    for trial in 0..trials {
        let mut seed = [0u8; 32];
        seed[8..16].copy_from_slice(&trial.to_le_bytes());
        for (buyer, rank) in shuffled_ranks(n, seed).iter().enumerate() {
            places[buyer][*rank as usize] += 1;
        }
    }
    for (buyer, counts) in places.iter().enumerate() {
        let statistic = chi_squared(counts, trials);
        assert!(
            statistic < 27.88,
            "buyer {buyer}: chi-squared {statistic:.1}"
        );
    }
}

fn input(now_ms: i64, joined: u64) -> AdvanceInput {
    AdvanceInput {
        now_ms,
        admit_per_minute: 120,
        paused: false,
        joined,
        active: 0,
        max_active: u64::MAX,
    }
}

#[test]
fn admission_follows_the_rate_exactly_over_time() {
    let mut mark = advance(Watermark::default(), input(1_000, 10_000));
    assert_eq!(mark.admitted, 0, "the first tick only starts the clock");
    // 120 per minute = 2 per second; ticks at uneven intervals add up exactly.
    let mut now = 1_000;
    for step in [700, 300, 1_250, 9_750, 48_000] {
        now += step;
        mark = advance(mark, input(now, 10_000));
    }
    assert_eq!(now - 1_000, 60_000);
    assert_eq!(mark.admitted, 120);
    // A slow rate accumulates fractions: 1 per minute, ticking every second.
    let mut slow = advance(
        Watermark::default(),
        AdvanceInput {
            admit_per_minute: 1,
            ..input(0, 100)
        },
    );
    slow.at_ms = 1;
    for second in 1..=180 {
        slow = advance(
            slow,
            AdvanceInput {
                admit_per_minute: 1,
                ..input(1 + second * 1_000, 100)
            },
        );
    }
    assert_eq!(slow.admitted, 3);
}

#[test]
fn admission_never_passes_the_line_the_active_cap_or_a_pause() {
    let start = advance(Watermark::default(), input(0, 5));
    let started = Watermark { at_ms: 1, ..start };
    let capped = advance(started, input(600_001, 5));
    assert_eq!(capped.admitted, 5, "never more than have joined");
    assert_eq!(
        capped.carry, 0.0,
        "unused admissions are not banked for a later burst"
    );
    let busy = advance(
        started,
        AdvanceInput {
            active: 8,
            max_active: 10,
            ..input(600_001, 1_000)
        },
    );
    assert_eq!(
        busy.admitted, 2,
        "only as many as the purchase path has room for"
    );
    let paused = advance(
        started,
        AdvanceInput {
            paused: true,
            ..input(600_001, 1_000)
        },
    );
    assert_eq!(paused.admitted, 0);
    assert_eq!(paused.at_ms, 600_001, "a pause does not bank time either");
}

#[test]
fn estimates_and_poll_intervals_are_sensible() {
    assert_eq!(eta_seconds(0, 60), 0);
    assert_eq!(eta_seconds(1, 60), 1);
    assert_eq!(eta_seconds(1, 1), 60);
    assert_eq!(eta_seconds(1_000, 600), 100);
    assert_eq!(
        eta_seconds(5, 0),
        300,
        "a zero rate does not divide by zero"
    );
    assert_eq!(poll_after_seconds(0), 2);
    assert_eq!(poll_after_seconds(100), 10);
    assert_eq!(poll_after_seconds(10_000), 30);
}

#[test]
fn proof_of_work_is_checked_and_solvable() {
    let nonce = solve_proof_of_work("challenge-1", 12);
    assert!(proof_of_work_ok("challenge-1", &nonce, 12));
    assert!(
        !proof_of_work_ok("challenge-1", "x", 20),
        "an arbitrary nonce does not pass"
    );
    assert!(!proof_of_work_ok("challenge-1", "", 0));
    assert!(proof_of_work_ok("anything", "1", 0));
    assert_eq!(leading_zero_bits(&[0, 0b0001_0000]), 11);
}

#[test]
fn a_lagging_clock_never_moves_the_watermark_back_in_time() {
    let mark = Watermark {
        admitted: 10,
        at_ms: 10_000,
        carry: 0.0,
    };
    let lagging = advance(mark, input(9_000, 1_000));
    assert_eq!((lagging.admitted, lagging.at_ms), (10, 10_000));
    let next = advance(lagging, input(11_000, 1_000));
    assert_eq!(
        next.admitted, 12,
        "one second at 120 a minute, counted once"
    );
}
