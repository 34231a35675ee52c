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
    // The QR code alone (a certificate's URL, level M): microcred's mask scoring, then the qrcode crate's.
    let url = b"https://certs.example.eu/credentials/urn:uuid:6f1c2a8e-3b1d-4c55-9d7e-0a2b3c4d5e6f";
    c.bench_function("certificate_qr_code", |b| {
        b.iter(|| certificate::qr::modules(black_box(url), qrcode::EcLevel::M).unwrap())
    });
    c.bench_function("certificate_qr_code_crate", |b| {
        b.iter(|| qrcode::QrCode::with_error_correction_level(black_box(url), qrcode::EcLevel::M).unwrap())
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
