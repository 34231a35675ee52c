//! The messages microcred sends, in the learner's language: HTML and plain text (askama templates under
//! `templates/mail/`, the labels of the certificate), with the PDF certificate attached when the issuer
//! chooses. lettre writes the headers (RFC 2047 encoded words for Cyrillic or Greek subjects and names)
//! and picks each part's transfer encoding.

use askama::Template;
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};

use crate::certificate::{Facts, Labels};
use crate::domain::delivery::SendFailure;

#[derive(Template)]
#[template(path = "mail/award.html")]
struct AwardHtml<'a> {
    lang: &'a str,
    subject: &'a str,
    issuer: &'a str,
    achievement: &'a str,
    greeting: &'a str,
    intro: &'a str,
    explain: &'a str,
    view: &'a str,
    page_url: &'a str,
    pdf: &'a str,
    pdf_url: &'a str,
    json: &'a str,
    json_url: &'a str,
    wallet: &'a str,
    wallet_url: &'a str,
    attached: Option<&'a str>,
    space_before: &'a str,
    space_url: &'a str,
    space_after: &'a str,
    footer: &'a str,
}

#[derive(Template)]
#[template(path = "mail/award.txt")]
struct AwardText<'a> {
    greeting: &'a str,
    intro: &'a str,
    explain: &'a str,
    view: &'a str,
    page_url: &'a str,
    pdf: &'a str,
    pdf_url: &'a str,
    json: &'a str,
    json_url: &'a str,
    wallet: &'a str,
    wallet_url: &'a str,
    attached: Option<&'a str>,
    space: &'a str,
    footer: &'a str,
}

#[derive(Template)]
#[template(path = "mail/sign_in.html")]
struct SignInHtml<'a> {
    lang: &'a str,
    subject: &'a str,
    title: &'a str,
    text: &'a str,
    button: &'a str,
    link: &'a str,
    ignore: &'a str,
}

#[derive(Template)]
#[template(path = "mail/sign_in.txt")]
struct SignInText<'a> {
    title: &'a str,
    text: &'a str,
    button: &'a str,
    link: &'a str,
    ignore: &'a str,
}

#[derive(Template)]
#[template(path = "mail/notice.html")]
struct NoticeHtml<'a> {
    lang: &'a str,
    subject: &'a str,
    greeting: Option<&'a str>,
    paragraphs: &'a [String],
    items: &'a [(String, String)],
    button: Option<(&'a str, &'a str)>,
    footer: &'a str,
}

#[derive(Template)]
#[template(path = "mail/notice.txt")]
struct NoticeText<'a> {
    greeting: Option<&'a str>,
    paragraphs: &'a [String],
    items: &'a [(String, String)],
    button: Option<(&'a str, &'a str)>,
    footer: &'a str,
}

/// A lifecycle notice: a reminder to a learner or a digest to an issuer.
#[derive(Debug, Clone, Default)]
pub struct Notice {
    /// The subject, also the heading.
    pub subject: String,
    /// "Dear …," if addressed to a person.
    pub greeting: Option<String>,
    /// The text.
    pub paragraphs: Vec<String>,
    /// Listed links: (text, URL).
    pub items: Vec<(String, String)>,
    /// The call to action: (label, URL).
    pub button: Option<(String, String)>,
    /// Why the recipient gets it.
    pub footer: String,
}

/// A notice as a message in `lang` (HTML and plain text).
pub fn notice(envelope: &Envelope, lang: &str, n: &Notice) -> Result<Message, SendFailure> {
    let button = n.button.as_ref().map(|(l, u)| (l.as_str(), u.as_str()));
    let html = NoticeHtml {
        lang,
        subject: &n.subject,
        greeting: n.greeting.as_deref(),
        paragraphs: &n.paragraphs,
        items: &n.items,
        button,
        footer: &n.footer,
    };
    let text = NoticeText {
        greeting: n.greeting.as_deref(),
        paragraphs: &n.paragraphs,
        items: &n.items,
        button,
        footer: &n.footer,
    };
    let body = alternative(&text.render(), &html.render())?;
    headers(envelope, &n.subject)?.multipart(body).map_err(|e| permanent(&e))
}

/// Sender and recipient of one message.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// `From`: the deployment's address under the issuer's (or the service's) name.
    pub from: Mailbox,
    /// `Reply-To`, if any.
    pub reply_to: Option<Mailbox>,
    /// The learner's address.
    pub to: String,
}

/// The links an award's message carries.
#[derive(Debug, Clone)]
pub struct AwardLinks {
    /// The credential's page (marks it claimed when opened from here).
    pub page: String,
    /// The PDF certificate.
    pub pdf: String,
    /// The signed JSON.
    pub json: String,
    /// The learner's space, `/me`.
    pub space: String,
    /// "Add to wallet": the page that shows a QR code for the learner's wallet app.
    pub wallet: String,
}

/// The message that delivers an award: `facts` read from the signed credential, in `labels`' language,
/// with `attachment` (file name, PDF bytes) if the issuer attaches certificates; a renewal or a correction
/// (`follows`) says so. A message that cannot be built (an address lettre refuses) is a permanent failure.
pub fn award(
    envelope: &Envelope,
    facts: &Facts,
    labels: &Labels,
    links: &AwardLinks,
    follows: Option<crate::domain::lifecycle::Succession>,
    attachment: Option<(String, Vec<u8>)>,
) -> Result<Message, SendFailure> {
    use crate::domain::lifecycle::Succession;
    let achievement = facts.achievement.as_str();
    let (subject_key, intro_key) = match follows {
        Some(Succession::Renewal) => ("mail_subject_renewal", "mail_intro_renewal"),
        Some(Succession::Correction) => ("mail_subject_correction", "mail_intro_correction"),
        None if facts.micro_credential => ("mail_subject", "mail_intro_micro"),
        None => ("mail_subject", "mail_intro"),
    };
    let subject = labels.format(subject_key, &[("achievement", achievement)]);
    let intro = labels.format(intro_key, &[("issuer", &facts.issuer), ("achievement", achievement)]);
    let greeting = labels.format("mail_greeting", &[("name", &facts.learner)]);
    // The address stands apart from the sentence's punctuation: a link in HTML, in angle brackets in text
    // (RFC 3986, appendix C), so no mail client takes a trailing ":" or "." as part of it.
    let (space_before, space_after) =
        labels.get("mail_space").split_once("{url}").unwrap_or((labels.get("mail_space"), ""));
    let space = format!("{space_before}<{}>{space_after}", links.space);
    let footer = labels.format("mail_footer", &[("issuer", &facts.issuer)]);
    let attached = attachment.as_ref().map(|_| labels.get("mail_attached"));
    let (explain, view, pdf, json) =
        (labels.get("mail_explain"), labels.get("mail_view"), labels.get("mail_pdf"), labels.get("mail_json"));
    let html = AwardHtml {
        lang: labels.lang,
        subject: &subject,
        issuer: &facts.issuer,
        achievement,
        greeting: &greeting,
        intro: &intro,
        explain,
        view,
        page_url: &links.page,
        pdf,
        pdf_url: &links.pdf,
        json,
        json_url: &links.json,
        wallet: labels.get("mail_wallet"),
        wallet_url: &links.wallet,
        attached,
        space_before,
        space_url: &links.space,
        space_after,
        footer: &footer,
    };
    let text = AwardText {
        greeting: &greeting,
        intro: &intro,
        explain,
        view,
        page_url: &links.page,
        pdf,
        pdf_url: &links.pdf,
        json,
        json_url: &links.json,
        wallet: labels.get("mail_wallet"),
        wallet_url: &links.wallet,
        attached,
        space: &space,
        footer: &footer,
    };
    let body = alternative(&text.render(), &html.render())?;
    let body = match attachment {
        Some((name, bytes)) => {
            MultiPart::mixed().multipart(body).singlepart(Attachment::new(name).body(bytes, pdf_type()))
        }
        None => body,
    };
    headers(envelope, &subject)?.multipart(body).map_err(|e| permanent(&e))
}

/// The one-time sign-in link to a learner's space.
pub fn sign_in(envelope: &Envelope, labels: &Labels, link: &str) -> Result<Message, SendFailure> {
    let subject = labels.get("signin_subject");
    let (title, text, button, ignore) =
        (labels.get("me_title"), labels.get("signin_text"), labels.get("signin_button"), labels.get("signin_ignore"));
    let html = SignInHtml { lang: labels.lang, subject, title, text, button, link, ignore };
    let plain = SignInText { title, text, button, link, ignore };
    let body = alternative(&plain.render(), &html.render())?;
    headers(envelope, subject)?.multipart(body).map_err(|e| permanent(&e))
}

fn alternative(text: &askama::Result<String>, html: &askama::Result<String>) -> Result<MultiPart, SendFailure> {
    let (Ok(text), Ok(html)) = (text, html) else {
        return Err(SendFailure::Permanent("the message template could not be rendered".into()));
    };
    Ok(MultiPart::alternative().singlepart(SinglePart::plain(text.clone())).singlepart(SinglePart::html(html.clone())))
}

fn headers(envelope: &Envelope, subject: &str) -> Result<lettre::message::MessageBuilder, SendFailure> {
    let to: Mailbox = envelope
        .to
        .parse()
        .map_err(|e| SendFailure::Permanent(format!("the learner's address cannot be used: {e}")))?;
    // A Message-ID (`<uuid@host>`): receivers de-duplicate by it, and some refuse mail without one.
    let mut builder = Message::builder().message_id(None).from(envelope.from.clone()).to(to).subject(subject);
    if let Some(reply_to) = &envelope.reply_to {
        builder = builder.reply_to(reply_to.clone());
    }
    Ok(builder)
}

fn pdf_type() -> ContentType {
    ContentType::parse("application/pdf").unwrap_or(ContentType::TEXT_PLAIN)
}

fn permanent(e: &lettre::error::Error) -> SendFailure {
    SendFailure::Permanent(format!("the message could not be built: {e}"))
}
