//! Images issuers upload: achievement badge images and issuer logos (PNG or SVG), checked
//! ([`crate::domain::image`]), stored by digest and served from our own origin.

use serde_json::Value;
use url::Url;

use super::{Microcred, now};
use crate::domain::achievement::{Achievement, AchievementId};
use crate::domain::api_key::ApiKey;
use crate::domain::image::{self, Image};
use crate::domain::issuer::{Issuer, Slug};
use crate::domain::validation::ValidationErrors;
use crate::error::{Error, Result};

impl Microcred {
    /// Checks and stores uploaded image bytes; the public URL they are served at. 422 naming `field` with
    /// the reason when the image is refused.
    pub async fn store_image(&self, field: &str, content: Vec<u8>) -> Result<Url> {
        let image = image::check(content).map_err(|e| ValidationErrors::single(field, e.0))?;
        self.keep_image(&image).await
    }

    async fn keep_image(&self, image: &Image) -> Result<Url> {
        self.store.insert_image(image, now()).await?;
        Url::parse(&self.urls().image(&image.file_name())).map_err(|e| Error::Internal(format!("image URL: {e}")))
    }

    /// A stored image by its file name (`<digest>.png` or `<digest>.svg`); 404 for any other name.
    pub async fn image(&self, file_name: &str) -> Result<Image> {
        let not_found = || Error::NotFound { what: "image", id: file_name.to_owned() };
        let (digest, extension) = file_name.rsplit_once('.').ok_or_else(not_found)?;
        if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(not_found());
        }
        let image = self.store.image(digest).await?.ok_or_else(not_found)?;
        if image.kind.extension() != extension {
            return Err(not_found());
        }
        Ok(image)
    }

    /// The bytes of an image a credential names, when we hold it (`…/images/<digest>.<ext>`, see
    /// [`PublicUrls::image_file`](crate::domain::public_urls::PublicUrls::image_file)) or it is embedded
    /// (`data:`); `None` for anything else (a remote image is never fetched).
    pub async fn named_image(&self, url: &str) -> Result<Option<Image>> {
        if url.starts_with("data:") {
            return Ok(image::from_data_url(url).ok());
        }
        match crate::domain::public_urls::PublicUrls::image_file(url) {
            Some(file) => match self.image(file).await {
                Ok(image) => Ok(Some(image)),
                Err(Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            },
            None => Ok(None),
        }
    }

    /// Where a JSON body (an achievement's `image`, an issuer's `logo_url`) carries a `data:` URL, stores the
    /// image and puts its URL in its place, so the rest of the input is validated as usual.
    pub(super) async fn intake_data_url(&self, body: &mut Value, field: &str) -> Result<()> {
        let Some(Value::String(text)) = body.get(field) else { return Ok(()) };
        if !text.starts_with("data:") {
            return Ok(());
        }
        let image = image::from_data_url(text).map_err(|e| ValidationErrors::single(field, e.0))?;
        let url = self.keep_image(&image).await?;
        body[field] = Value::String(url.to_string());
        Ok(())
    }

    /// Sets an achievement's badge image from uploaded bytes (the caller's issuer's achievement). Later awards
    /// name it; credentials already issued keep the image they were signed with.
    pub async fn set_achievement_image(
        &self,
        caller: &ApiKey,
        id: AchievementId,
        content: Vec<u8>,
    ) -> Result<Achievement> {
        self.achievement_for(caller, id).await?; // who may change it, before anything is stored
        let url = self.store_image("file", content).await?;
        self.update_achievement(caller, id, &serde_json::json!({ "image": url.as_str() })).await
    }

    /// Sets an issuer's logo from uploaded bytes (admins, or the operator's command line with `by` = `None`).
    pub async fn set_issuer_logo(&self, by: Option<&ApiKey>, slug: &Slug, content: Vec<u8>) -> Result<Issuer> {
        if let Some(caller) = by {
            super::require_admin(caller)?;
        }
        let url = self.store_image("file", content).await?;
        self.update_issuer(by, slug, &serde_json::json!({ "logo_url": url.as_str() })).await
    }
}
