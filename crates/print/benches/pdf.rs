//! Tickets rendered per second on one core: `cargo bench -p bilheteria-print`. The purchase
//! mail's printing (a PNG QR per ticket and the order's PDF) runs on the server during a sale.

use bilheteria_print::{TicketSheet, qr_png, render};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn sheet(i: usize) -> TicketSheet {
    TicketSheet {
        event_title: "Grande Show de Verão".into(),
        when: "sábado, 6 de março de 2027, 20:00 (UTC−03:00)".into(),
        venue: "Estádio do Arruda — Recife".into(),
        place: format!("Setor Cadeiras · Fila R{} · Assento {}", i / 10, i % 10 + 1),
        category: "Plateia".into(),
        ticket_type: "Inteira".into(),
        holder: "Ana Souza".into(),
        order_id: "0190a0a0-0000-7000-8000-000000000000".into(),
        price: "R$ 120,00".into(),
        // As long as a real signed code (119 base64url characters).
        code: format!("{i:0>119}"),
        reference: "7F3A-91C2-0B44".into(),
        terms: vec![
            "Válido para uma única entrada nesta sessão.".into(),
            "Não compartilhe este QR: quem o apresentar primeiro entra.".into(),
        ],
        poster: None,
    }
}

fn tickets(c: &mut Criterion) {
    let mut group = c.benchmark_group("pdf");
    group.throughput(Throughput::Elements(1));
    group.bench_function("one ticket", |b| {
        let one = [sheet(1)];
        b.iter(|| render(black_box("Ingresso"), black_box(&one)))
    });
    let ten: Vec<TicketSheet> = (0..10).map(sheet).collect();
    group.throughput(Throughput::Elements(10));
    group.bench_function("an order of ten tickets", |b| {
        b.iter(|| render(black_box("Ingressos"), black_box(&ten)))
    });
    group.finish();
}

fn mail(c: &mut Criterion) {
    let mut group = c.benchmark_group("purchase mail");
    group.bench_function("a QR's modules", |b| {
        let code = sheet(1).code;
        b.iter(|| {
            qrcode::QrCode::with_error_correction_level(
                black_box(code.as_bytes()),
                qrcode::EcLevel::M,
            )
        })
    });
    group.bench_function("a QR as PNG", |b| {
        let code = sheet(1).code;
        b.iter(|| qr_png(black_box(&code), 6))
    });
    // Every mail prints codes never drawn before: fresh ones at each iteration.
    let mut next = 0;
    group.bench_function("two new tickets: a PNG each and the PDF", |b| {
        b.iter_batched(
            || {
                next += 2;
                [sheet(next), sheet(next + 1)]
            },
            |two| {
                for ticket in &two {
                    black_box(qr_png(&ticket.code, 6).ok());
                }
                render(black_box("Ingressos"), black_box(&two))
            },
            criterion::BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, tickets, mail);
criterion_main!(benches);
