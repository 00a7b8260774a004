//! The SQL of the sales integrity report: every invariant recounted from the tables. Compiled
//! twice, like `shared.rs`.

use super::ThisBackend;
use crate::dialect::Dialect;
use crate::{RecordedCharge, SalesIntegrity, StoreResult};
use async_trait::async_trait;
use bilheteria_domain::ids::{OrderId, SessionId};
use sqlx::Row;

use crate::IntegrityStore;

#[async_trait]
impl IntegrityStore for ThisBackend {
    async fn sales_integrity(&self, session: SessionId) -> StoreResult<SalesIntegrity> {
        // Its joins are planned from statistics, and tables an on-sale filled in the last minute
        // can still have those of empty ones (PostgreSQL: 6 s for one count over 10,000 orders).
        self.refresh_statistics(
            "orders, payments, tickets, holds, allocations, standing_slices, transfers, open_slices, reserve_slices",
        )
        .await;
        let pool = self.reader();
        let count = |sql: &'static str| async move {
            sqlx::query(sql)
                .bind(session.0)
                .fetch_one(pool)
                .await
                .and_then(|row| row.try_get::<i64, _>(0))
        };
        let mut report = SalesIntegrity {
            seats_sold_twice: count(
                "SELECT COUNT(*) FROM (SELECT seat_id FROM tickets WHERE session_id = $1 AND seat_id IS NOT NULL \
                 AND status <> 'cancelled' GROUP BY seat_id HAVING COUNT(*) > 1) x",
            )
            .await?,
            seat_status_mismatches: count(
                "SELECT COUNT(*) FROM session_seats ss WHERE ss.session_id = $1 AND (ss.status = 'sold') <> EXISTS \
                 (SELECT 1 FROM tickets t WHERE t.session_id = ss.session_id AND t.seat_id = ss.seat_id AND t.status <> 'cancelled')",
            )
            .await?,
            standing_oversold_sections: count(
                "SELECT COUNT(*) FROM (SELECT sl.section_id FROM standing_slices sl JOIN session_sections ss \
                 ON ss.session_id = sl.session_id AND ss.section_id = sl.section_id WHERE sl.session_id = $1 \
                 GROUP BY sl.section_id, ss.capacity \
                 HAVING SUM(sl.held + sl.sold) > ss.capacity OR SUM(sl.capacity) <> ss.capacity) x",
            )
            .await?,
            // Counted per section once, then compared (a correlated count per section reads
            // the session's tickets once per section: SQLite, 0.6 s for 23,000 tickets).
            standing_count_mismatches: count(
                "SELECT COUNT(*) FROM session_sections ss JOIN sections sec ON sec.id = ss.section_id \
                 LEFT JOIN (SELECT section_id, SUM(sold) AS n FROM standing_slices WHERE session_id = $1 \
                 GROUP BY section_id) sl ON sl.section_id = ss.section_id \
                 LEFT JOIN (SELECT section_id, COUNT(*) AS n FROM tickets WHERE session_id = $1 \
                 AND status <> 'cancelled' GROUP BY section_id) t ON t.section_id = ss.section_id \
                 WHERE ss.session_id = $1 AND sec.kind = 'standing' AND COALESCE(sl.n, 0) <> COALESCE(t.n, 0)",
            )
            .await?,
            // A used ticket has exactly one admission, and only a used (or since refunded)
            // ticket has one; the unique index keeps it to one.
            checkins_mismatched: count(
                "SELECT COUNT(*) FROM tickets t WHERE t.session_id = $1 AND (t.status = 'used') <> EXISTS \
                 (SELECT 1 FROM checkins c WHERE c.ticket_id = t.id AND c.result = 'admitted') \
                 AND t.status <> 'cancelled'",
            )
            .await?,
            users_over_cap: count(
                "SELECT COUNT(*) FROM (SELECT u.user_id, SUM(u.n) AS n FROM ( \
                 SELECT holder_id AS user_id, COUNT(*) AS n FROM tickets WHERE session_id = $1 AND status <> 'cancelled' GROUP BY holder_id \
                 UNION ALL SELECT user_id, CAST(SUM(quantity) AS BIGINT) AS n FROM holds WHERE session_id = $1 AND status = 'active' GROUP BY user_id \
                 ) u GROUP BY u.user_id) per_user JOIN event_sessions s ON s.id = $1 WHERE per_user.n > s.max_tickets_per_user",
            )
            .await?,
            // C1's ledger: what each buyer's allocation says equals what they hold, bought or
            // received and still have (a transfer moves one unit from sender to recipient).
            // Counted per buyer once, then joined: correlated counts per allocation took SQLite
            // 86 s for 16,000 buyers of one session.
            allocations_mismatched: count(
                "SELECT COUNT(*) FROM allocations a \
                 LEFT JOIN (SELECT holder_id AS user_id, COUNT(*) AS n FROM tickets WHERE session_id = $1 \
                 AND status <> 'cancelled' GROUP BY holder_id) t ON t.user_id = a.user_id \
                 LEFT JOIN (SELECT user_id, SUM(quantity) AS n FROM holds WHERE session_id = $1 \
                 AND status = 'active' GROUP BY user_id) h ON h.user_id = a.user_id \
                 LEFT JOIN (SELECT o.user_id, COUNT(*) AS n FROM resale_listings l JOIN orders o ON o.id = l.buyer_order_id \
                 WHERE l.session_id = $1 AND l.status = 'reserved' GROUP BY o.user_id) r ON r.user_id = a.user_id \
                 WHERE a.session_id = $1 AND a.tickets <> COALESCE(t.n, 0) + COALESCE(h.n, 0) + COALESCE(r.n, 0)",
            )
            .await?,
            // A pending transfer is of a ticket its sender still holds, valid.
            transfers_mismatched: count(
                "SELECT COUNT(*) FROM transfers tr JOIN tickets t ON t.id = tr.ticket_id WHERE tr.session_id = $1 \
                 AND tr.status = 'pending' AND (t.holder_id <> tr.from_user_id OR t.status = 'cancelled')",
            )
            .await?,
            // An open listing is of its seller's valid ticket; a sold one's ticket left them.
            listings_mismatched: count(
                "SELECT COUNT(*) FROM resale_listings l JOIN tickets t ON t.id = l.ticket_id WHERE l.session_id = $1 \
                 AND ((l.status IN ('listed', 'reserved') AND (t.holder_id <> l.seller_id OR t.status <> 'valid')) \
                 OR (l.status = 'sold' AND t.holder_id = l.seller_id))",
            )
            .await?,
            // Each pool's counts within its capacity and equal to what was drawn from it: its
            // tickets (sold) and the active holds' units (held).
            pools_mismatched: count(
                "SELECT COUNT(*) FROM (SELECT 'open' AS pool, SUM(capacity) AS c, SUM(held) AS h, SUM(sold) AS s \
                 FROM open_slices WHERE session_id = $1 \
                 UNION ALL SELECT 'reserve', SUM(capacity), SUM(held), SUM(sold) FROM reserve_slices WHERE session_id = $1) p \
                 WHERE p.h + p.s > p.c \
                 OR p.s <> (SELECT COUNT(*) FROM tickets t WHERE t.session_id = $1 AND t.pool = p.pool AND t.status <> 'cancelled') \
                 OR p.h <> (SELECT COALESCE(SUM(CASE WHEN p.pool = 'open' THEN h.open_units ELSE h.reserve_units END), 0) \
                 FROM holds h WHERE h.session_id = $1 AND h.status = 'active')",
            )
            .await?,
            half_price_quota_exceeded: count(
                "SELECT CAST(CASE WHEN (SELECT COUNT(*) FROM tickets t WHERE t.session_id = $1 AND t.ticket_type = 'half' \
                 AND t.eligibility <> 'senior' AND t.status <> 'cancelled') \
                 > (SELECT COALESCE(SUM(capacity), 0) FROM reserve_slices WHERE session_id = $1) THEN 1 ELSE 0 END AS BIGINT)",
            )
            .await?,
            reserve_taken_before_release: count(
                "SELECT COUNT(*) FROM tickets t JOIN event_sessions s ON s.id = t.session_id WHERE t.session_id = $1 \
                 AND t.pool = 'reserve' AND t.status <> 'cancelled' \
                 AND NOT (t.ticket_type = 'half' AND t.eligibility <> 'senior') \
                 AND (s.half_price_release_at IS NULL OR t.created_at < s.half_price_release_at)",
            )
            .await?,
            half_price_quota: count(
                "SELECT CAST(COALESCE(SUM(capacity), 0) AS BIGINT) FROM reserve_slices WHERE session_id = $1",
            )
            .await?,
            half_price_sold: count(
                "SELECT COUNT(*) FROM tickets WHERE session_id = $1 AND ticket_type = 'half' AND status <> 'cancelled'",
            )
            .await?,
            pix_orders: count("SELECT COUNT(*) FROM orders WHERE session_id = $1 AND payment_method = 'pix'").await?,
            pix_orders_paid: count(
                "SELECT COUNT(*) FROM orders WHERE session_id = $1 AND payment_method = 'pix' AND status IN ('paid', 'refunded')",
            )
            .await?,
            pix_orders_expired: count(
                "SELECT COUNT(*) FROM orders WHERE session_id = $1 AND payment_method = 'pix' AND status = 'failed' \
                 AND failure_code = 'pix_expired'",
            )
            .await?,
            paid_orders_without_charge: count(
                "SELECT COUNT(*) FROM orders o WHERE o.session_id = $1 AND o.status = 'paid' AND NOT EXISTS \
                 (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.kind = 'charge' AND p.status = 'succeeded')",
            )
            .await?,
            paid_orders_with_wrong_ticket_count: count(
                "SELECT COUNT(*) FROM orders o JOIN holds h ON h.id = o.hold_id WHERE o.session_id = $1 AND o.status = 'paid' \
                 AND h.quantity - (SELECT COUNT(*) FROM resale_listings l WHERE l.source_order_id = o.id AND l.status = 'sold') \
                 - (SELECT COUNT(*) FROM tickets t WHERE t.order_id = o.id AND t.refund_id IS NOT NULL AND t.status = 'cancelled') \
                 <> (SELECT COUNT(*) FROM tickets t WHERE t.order_id = o.id AND t.status <> 'cancelled')",
            )
            .await?,
            charges_without_paid_order_or_refund: count(
                "SELECT COUNT(*) FROM payments p JOIN orders o ON o.id = p.order_id WHERE o.session_id = $1 \
                 AND p.kind = 'charge' AND p.status = 'succeeded' AND o.status <> 'paid' AND NOT EXISTS \
                 (SELECT 1 FROM payments r WHERE r.order_id = o.id AND r.kind = 'refund' AND r.status = 'succeeded')",
            )
            .await?,
            double_charges: count(
                "SELECT COUNT(*) FROM (SELECT p.order_id FROM payments p JOIN orders o ON o.id = p.order_id \
                 WHERE o.session_id = $1 AND p.kind = 'charge' AND p.status = 'succeeded' GROUP BY p.order_id HAVING COUNT(*) > 1) x",
            )
            .await?,
                        paid_orders: count("SELECT COUNT(*) FROM orders WHERE session_id = $1 AND status = 'paid'").await?,
            orders_pending: count(
                "SELECT COUNT(*) FROM orders WHERE session_id = $1 AND status IN ('awaiting_payment', 'payment_pending')",
            )
            .await?,
            tickets_valid: count("SELECT COUNT(*) FROM tickets WHERE session_id = $1 AND status = 'valid'").await?,
            charged_cents: count(
                "SELECT CAST(COALESCE(SUM(p.amount_cents), 0) AS BIGINT) FROM payments p JOIN orders o ON o.id = p.order_id \
                 WHERE o.session_id = $1 AND p.kind = 'charge' AND p.status = 'succeeded'",
            )
            .await?,
            refunded_cents: count(
                "SELECT CAST(COALESCE(SUM(p.amount_cents), 0) AS BIGINT) FROM payments p JOIN orders o ON o.id = p.order_id \
                 WHERE o.session_id = $1 AND p.kind = 'refund' AND p.status = 'succeeded'",
            )
            .await?,
            paid_out_cents: count(
                "SELECT CAST(COALESCE(SUM(p.amount_cents), 0) AS BIGINT) FROM resale_payouts p \
                 JOIN resale_listings l ON l.id = p.listing_id WHERE l.session_id = $1 AND p.status = 'succeeded'",
            )
            .await?,
            // Of paid orders, what resales owe their sellers; of refunded ones, what the refund
            // kept back (the face value of a resold ticket) beyond its seller's payout.
            resale_adjustment_cents: count(
                "SELECT CAST(COALESCE(SUM(CASE WHEN o.status = 'paid' THEN l.payout_cents \
                 WHEN o.status = 'refunded' THEN l.payout_cents - l.face_value_cents ELSE 0 END), 0) AS BIGINT) \
                 FROM resale_listings l JOIN orders o ON o.id = l.source_order_id WHERE l.session_id = $1 AND l.status = 'sold'",
            )
            .await?,
            // Paid orders keep their total less what refunds of some of their tickets gave
            // back; refunded ones what their refunds did not give back beyond resold tickets
            // (the products of an order whose tickets were refunded one by one).
            paid_order_total_cents: count(
                "SELECT CAST(COALESCE(SUM(o.total_cents - o.refunded_cents - CASE WHEN o.status = 'refunded' THEN \
                 (SELECT COALESCE(SUM(l.face_value_cents), 0) FROM resale_listings l WHERE l.source_order_id = o.id AND l.status = 'sold') \
                 ELSE 0 END), 0) AS BIGINT) FROM orders o WHERE o.session_id = $1 AND o.status IN ('paid', 'refunded')",
            )
            .await?,
            ticket_refunds_mismatched: count(
                "SELECT COUNT(*) FROM ticket_refunds r JOIN orders o ON o.id = r.order_id WHERE o.session_id = $1 \
                 AND r.status = 'succeeded' AND (r.amount_cents <> (SELECT COALESCE(SUM(t.face_value_cents), 0) FROM tickets t WHERE t.refund_id = r.id) \
                 OR EXISTS (SELECT 1 FROM tickets t WHERE t.refund_id = r.id AND t.status <> 'cancelled') \
                 OR NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = r.order_id AND p.kind = 'refund' AND p.status = 'succeeded' \
                 AND p.reference = r.reference AND p.amount_cents = r.amount_cents))",
            )
            .await?
                + count(
                    "SELECT COUNT(*) FROM orders o WHERE o.session_id = $1 AND o.refunded_cents <> \
                     (SELECT COALESCE(SUM(p.amount_cents), 0) FROM payments p WHERE p.order_id = o.id AND p.kind = 'refund' \
                     AND p.status = 'succeeded') AND o.status IN ('paid', 'refunded')",
                )
                .await?,
            paid_orders_unconfirmed: 0,
            settled_ok: false,
        };
        report.settled_ok = report.holds();
        Ok(report)
    }

    async fn paid_order_charges(&self, session: SessionId) -> StoreResult<Vec<RecordedCharge>> {
        let rows = sqlx::query(
            "SELECT o.id, p.reference, p.amount_cents, p.currency FROM orders o JOIN payments p \
             ON p.order_id = o.id AND p.kind = 'charge' AND p.status = 'succeeded' \
             WHERE o.session_id = $1 AND o.status = 'paid' ORDER BY o.id",
        )
        .bind(session.0)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(RecordedCharge {
                    order_id: OrderId(row.try_get("id")?),
                    reference: row
                        .try_get::<Option<String>, _>("reference")?
                        .unwrap_or_default(),
                    amount_cents: row.try_get("amount_cents")?,
                    currency: row.try_get("currency")?,
                })
            })
            .collect()
    }
}
