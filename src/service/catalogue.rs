//! The catalogue: each issuer's achievements (modules), which awards are made of.

use tracing::info;
use uuid::Uuid;

use super::{Microcred, now};
use crate::domain::achievement::{Achievement, AchievementId, AchievementInput};
use crate::domain::api_key::{ApiKey, Role};
use crate::domain::issuer::Issuer;
use crate::domain::validation::ValidationErrors;
use crate::error::{Error, Result};

impl Microcred {
    /// Adds a module to an issuer's catalogue.
    pub async fn create_achievement(&self, caller: &ApiKey, mut input: AchievementInput) -> Result<Achievement> {
        let issuer = self.acting_issuer(caller, input.issuer.as_deref()).await?;
        if input.image.as_deref().is_some_and(|i| i.starts_with("data:")) {
            let mut body = serde_json::json!({ "image": input.image.take() });
            self.intake_data_url(&mut body, "image").await?;
            input.image = body["image"].as_str().map(str::to_owned);
        }
        let spec = input.validate(&issuer)?;
        self.check_printable(&spec)?;
        self.check_template(&spec)?;
        let at = now();
        let achievement = Achievement {
            id: AchievementId(Uuid::new_v4()),
            issuer_id: issuer.id,
            spec,
            created_at: at,
            updated_at: at,
        };
        self.store.insert_achievement(&achievement).await?;
        info!(achievement.id = %achievement.id, issuer.slug = %issuer.slug, "created achievement {}", achievement.id);
        Ok(achievement)
    }

    /// The catalogue a caller may see: its issuer's, or for an admin the named issuer's (all if none).
    pub async fn achievements_for(&self, caller: &ApiKey, issuer: Option<&str>) -> Result<Vec<Achievement>> {
        let issuers = match (caller.role, issuer) {
            (Role::Admin, None) => self.store.issuers().await?,
            _ => vec![self.acting_issuer(caller, issuer).await?],
        };
        let mut all = Vec::new();
        for issuer in issuers {
            all.extend(self.store.achievements(issuer.id).await?);
        }
        Ok(all)
    }

    /// One achievement, by anyone (public catalogue page) — with its issuer.
    pub async fn achievement(&self, id: AchievementId) -> Result<(Achievement, Issuer)> {
        let not_found = || Error::NotFound { what: "achievement", id: id.to_string() };
        let achievement = self.store.achievement(id).await?.ok_or_else(not_found)?;
        let issuer = self.store.issuer_by_id(achievement.issuer_id).await?.ok_or_else(not_found)?;
        Ok((achievement, issuer))
    }

    /// One achievement of the caller's issuer.
    pub async fn achievement_for(&self, caller: &ApiKey, id: AchievementId) -> Result<Achievement> {
        let (achievement, _) = self.achievement(id).await?;
        Self::require_issuer(caller, achievement.issuer_id)?;
        Ok(achievement)
    }

    /// Changes an achievement with a JSON merge patch (RFC 7396) over its current content, validated as a
    /// whole again. Credentials already issued keep what they were signed with.
    pub async fn update_achievement(
        &self,
        caller: &ApiKey,
        id: AchievementId,
        patch: &serde_json::Value,
    ) -> Result<Achievement> {
        let (mut achievement, issuer) = self.achievement(id).await?;
        Self::require_issuer(caller, achievement.issuer_id)?;
        if patch.get("issuer").is_some() {
            return Err(ValidationErrors::single("issuer", "an achievement cannot move to another issuer").into());
        }
        let mut merged = serde_json::to_value(AchievementInput::from(&achievement.spec))
            .map_err(|e| ValidationErrors::single("achievement", e.to_string()))?;
        let mut patch = patch.clone();
        self.intake_data_url(&mut patch, "image").await?;
        json_patch::merge(&mut merged, &patch);
        let input: AchievementInput =
            serde_json::from_value(merged).map_err(|e| ValidationErrors::single("body", e.to_string()))?;
        achievement.spec = input.validate(&issuer)?;
        self.check_printable(&achievement.spec)?;
        self.check_template(&achievement.spec)?;
        achievement.updated_at = now();
        if !self.store.update_achievement(&achievement).await? {
            return Err(Error::NotFound { what: "achievement", id: id.to_string() });
        }
        Ok(achievement)
    }

    /// Refuses an achievement whose printed texts (title, learning outcomes, assessment, quality assurance,
    /// prerequisites) have characters no font of the chain prints: its certificates would leave them out, and
    /// microcred would then call its own certificates altered. 422 naming each field and character.
    fn check_printable(&self, spec: &crate::domain::achievement::AchievementSpec) -> Result<()> {
        let mut errors = crate::domain::validation::ValidationErrors::default();
        let mut texts: Vec<(String, &str)> = vec![("name".into(), spec.name.as_str())];
        texts.extend(
            spec.learning_outcomes.iter().enumerate().map(|(i, o)| (format!("learning_outcomes[{i}]"), o.as_str())),
        );
        for (field, value) in [
            ("assessment_type", &spec.assessment_type),
            ("quality_assurance", &spec.quality_assurance),
            ("prerequisites", &spec.prerequisites),
        ] {
            if let Some(value) = value {
                texts.push((field.into(), value.as_str()));
            }
        }
        for (field, text) in texts {
            if let Err(message) = crate::domain::award::check_printable(self.fonts.as_ref(), text) {
                errors.add(field, message);
            }
        }
        Ok(errors.finish(())?)
    }
}
