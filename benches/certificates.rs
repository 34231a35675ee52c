//! Certificate speed and size: `cargo bench --bench certificates`. Renders the example credential's PDF
//! (template layout, subset fonts, vector QR code, embedded credential, compression) and its baked PNG,
//! warm, on one core. Figures go to BENCHMARKS.md; the PDF's size is printed once.

#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use microcred::certificate::{self, Labels, Paper, Template, badge};
use microcred::vc::credential::example;

fn bench(c: &mut Criterion) {
    let credential = example("did:web:certs.example.eu:issuers:ucs", "https://certs.example.eu").to_value();
    let json = serde_json::to_string(&credential).unwrap();
    let template = Template::builtin();
    let labels = Labels::for_tag("bg");
    let pdf = certificate::render_pdf(&json, &template, labels, Paper::A4).unwrap();
    println!("PDF size: {} bytes (credential {} bytes embedded)", pdf.len(), json.len());
    println!("PNG size: {} bytes", badge::bake(None, &json).unwrap().len());
    c.bench_function("certificate_pdf_render", |b| {
        b.iter(|| certificate::render_pdf(black_box(&json), &template, labels, Paper::A4).unwrap())
    });
    c.bench_function("badge_png_bake", |b| b.iter(|| badge::bake(None, black_box(&json)).unwrap()));
    c.bench_function("certificate_pdf_read_back", |b| {
        b.iter(|| certificate::extract::read_pdf(black_box(&pdf)).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(40);
    targets = bench
}
criterion_main!(benches);
