//! Tickets rendered per second on one core: `cargo bench -p bilheteria-print`.

use bilheteria_print::{TicketSheet, render};
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

criterion_group!(benches, tickets);
criterion_main!(benches);
