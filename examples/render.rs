//! Renders the example credential's certificate: `cargo run --example render -- OUT.pdf [lang] [letter]`.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let credential =
        microcred::vc::credential::example("did:web:certs.example.eu:issuers:ucs", "https://certs.example.eu");
    let json = serde_json::to_string(&credential.to_value()).unwrap_or_default();
    let labels = microcred::certificate::Labels::for_tag(args.get(2).map_or("en", String::as_str));
    let paper = if args.get(3).is_some_and(|p| p == "letter") {
        microcred::certificate::Paper::Letter
    } else {
        microcred::certificate::Paper::A4
    };
    let start = std::time::Instant::now();
    match microcred::certificate::render_pdf(&json, &microcred::certificate::Template::builtin(), labels, paper) {
        Ok(pdf) => {
            println!("{} bytes in {:?}", pdf.len(), start.elapsed());
            if let Err(e) = std::fs::write(args.get(1).map_or("certificate.pdf", String::as_str), pdf) {
                eprintln!("{e}");
            }
        }
        Err(e) => eprintln!("{e}"),
    }
}
