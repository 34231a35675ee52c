//! The SQL both backends share. SQLite understands `$1` placeholders, and the column types map to the
//! same Rust types (`Uuid`, `OffsetDateTime`, `Vec<u8>`) on both, so one text serves both; what differs
//! lives beside each backend. A macro rather than generics: sqlx's generic executor bounds would cost more
//! to read than the repetition they save.

/// Implements [`Store`](crate::store::Store) for a backend type with a `pool` field and an
/// `fn error(sqlx::Error) -> StoreError` that names violated constraints in its dialect.
macro_rules! impl_store {
    ($store:ty, $db:ty, $migrator:expr) => {
        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            async fn migrate(&self) -> $crate::store::StoreResult<()> {
                $migrator.run(&self.pool).await.map_err($crate::store::StoreError::Migrate)
            }

            async fn ping(&self) -> $crate::store::StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await.map_err(Self::error)?;
                Ok(())
            }

            async fn close(&self) {
                self.pool.close().await;
                self.writer.close().await;
            }

            fn pool_usage(&self) -> (u32, usize) {
                (self.pool.size(), self.pool.num_idle())
            }

            async fn insert_issuer(
                &self,
                issuer: &$crate::domain::issuer::Issuer,
                key: &$crate::store::IssuerKey,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(Self::error)?;
                sqlx::query(
                    "INSERT INTO issuer (issuer_id, slug, did, did_method, name, url, email, country, description, \
                     logo_url, created_at, suspension_enabled, mail_sender_name, mail_reply_to, attach_pdf, \
                     holder_binding_required, expiry_reminder_days) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
                )
                .bind(issuer.id.0)
                .bind(issuer.slug.as_str())
                .bind(&issuer.did)
                .bind(issuer.did_method.as_str())
                .bind(&issuer.name)
                .bind(issuer.url.as_ref().map(|u| u.as_str()))
                .bind(issuer.email.as_ref().map(|e| e.as_str()))
                .bind(issuer.country.as_ref().map(|c| c.as_str()))
                .bind(&issuer.description)
                .bind(issuer.logo_url.as_ref().map(|u| u.as_str()))
                .bind(issuer.created_at)
                .bind(issuer.suspension_enabled)
                .bind(issuer.mail.sender_name.as_deref())
                .bind(issuer.mail.reply_to.as_ref().map(|e| e.as_str()))
                .bind(issuer.mail.attach_pdf)
                .bind(issuer.holder_binding_required)
                .bind($crate::domain::lifecycle::format_reminder_days(&issuer.mail.expiry_reminder_days))
                .execute(&mut *tx)
                .await
                .map_err(Self::error)?;
                insert_key(&mut tx, key).await?;
                tx.commit().await.map_err(Self::error)
            }

            async fn update_issuer(
                &self,
                issuer: &$crate::domain::issuer::Issuer,
                audit: &$crate::domain::audit::AuditEntry,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.pool.begin().await.map_err(Self::error)?;
                let done = sqlx::query(
                    "UPDATE issuer SET name = $1, url = $2, email = $3, country = $4, description = $5, logo_url = $6, \
                     suspension_enabled = $7, mail_sender_name = $8, mail_reply_to = $9, attach_pdf = $10, \
                     holder_binding_required = $11, expiry_reminder_days = $12 WHERE issuer_id = $13",
                )
                .bind(&issuer.name)
                .bind(issuer.url.as_ref().map(|u| u.as_str()))
                .bind(issuer.email.as_ref().map(|e| e.as_str()))
                .bind(issuer.country.as_ref().map(|c| c.as_str()))
                .bind(&issuer.description)
                .bind(issuer.logo_url.as_ref().map(|u| u.as_str()))
                .bind(issuer.suspension_enabled)
                .bind(issuer.mail.sender_name.as_deref())
                .bind(issuer.mail.reply_to.as_ref().map(|e| e.as_str()))
                .bind(issuer.mail.attach_pdf)
                .bind(issuer.holder_binding_required)
                .bind($crate::domain::lifecycle::format_reminder_days(&issuer.mail.expiry_reminder_days))
                .bind(issuer.id.0)
                .execute(&mut *tx)
                .await
                .map_err(Self::error)?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                insert_audits(&mut tx, std::slice::from_ref(audit)).await?;
                tx.commit().await.map_err(Self::error)?;
                Ok(true)
            }

            async fn issuers(&self) -> $crate::store::StoreResult<Vec<$crate::domain::issuer::Issuer>> {
                sqlx::query_as::<_, $crate::store::rows::IssuerRow>("SELECT * FROM issuer ORDER BY created_at, slug")
                    .fetch_all(&self.pool)
                    .await
                    .map_err(Self::error)?
                    .into_iter()
                    .map(TryInto::try_into)
                    .collect()
            }

            async fn issuer_by_slug(
                &self,
                slug: &$crate::domain::issuer::Slug,
            ) -> $crate::store::StoreResult<Option<$crate::domain::issuer::Issuer>> {
                sqlx::query_as::<_, $crate::store::rows::IssuerRow>("SELECT * FROM issuer WHERE slug = $1")
                    .bind(slug.as_str())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(Self::error)?
                    .map(TryInto::try_into)
                    .transpose()
            }

            async fn issuer_by_id(
                &self,
                id: $crate::domain::issuer::IssuerId,
            ) -> $crate::store::StoreResult<Option<$crate::domain::issuer::Issuer>> {
                sqlx::query_as::<_, $crate::store::rows::IssuerRow>("SELECT * FROM issuer WHERE issuer_id = $1")
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(Self::error)?
                    .map(TryInto::try_into)
                    .transpose()
            }

            async fn issuer_keys(
                &self,
                issuer: $crate::domain::issuer::IssuerId,
            ) -> $crate::store::StoreResult<Vec<$crate::store::IssuerKey>> {
                sqlx::query_as::<_, $crate::store::rows::IssuerKeyRow>(
                    "SELECT * FROM issuer_key WHERE issuer_id = $1 ORDER BY created_at, key_id",
                )
                .bind(issuer.0)
                .fetch_all(&self.pool)
                .await
                .map_err(Self::error)?
                .into_iter()
                .map(TryInto::try_into)
                .collect()
            }

            async fn issuer_key_by_did(
                &self,
                did: &str,
                key_id: &str,
            ) -> $crate::store::StoreResult<Option<Option<$crate::store::IssuerKey>>> {
                sqlx::query_as::<_, $crate::store::rows::IssuerKeyByDidRow>(
                    "SELECT i.issuer_id, k.key_id, k.public_key, k.created_at, k.retired_at FROM issuer i \
                     LEFT JOIN issuer_key k ON k.issuer_id = i.issuer_id AND k.key_id = $2 WHERE i.did = $1",
                )
                .bind(did)
                .bind(key_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(Self::error)?
                .map(TryInto::try_into)
                .transpose()
            }

            async fn rotate_key(&self, new_key: &$crate::store::IssuerKey, audit: &$crate::domain::audit::AuditEntry) -> $crate::store::StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(Self::error)?;
                sqlx::query("UPDATE issuer_key SET retired_at = $1 WHERE issuer_id = $2 AND retired_at IS NULL")
                    .bind(new_key.created_at)
                    .bind(new_key.issuer_id.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(Self::error)?;
                insert_key(&mut tx, new_key).await?;
                insert_audits(&mut tx, std::slice::from_ref(audit)).await?;
                tx.commit().await.map_err(Self::error)
            }

            async fn insert_achievement(
                &self,
                achievement: &$crate::domain::achievement::Achievement,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO achievement (achievement_id, issuer_id, spec, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(achievement.id.0)
                .bind(achievement.issuer_id.0)
                .bind($crate::store::spec_json(achievement)?)
                .bind(achievement.created_at)
                .bind(achievement.updated_at)
                .execute(&self.pool)
                .await
                .map_err(Self::error)?;
                Ok(())
            }

            async fn update_achievement(
                &self,
                achievement: &$crate::domain::achievement::Achievement,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query("UPDATE achievement SET spec = $1, updated_at = $2 WHERE achievement_id = $3")
                    .bind($crate::store::spec_json(achievement)?)
                    .bind(achievement.updated_at)
                    .bind(achievement.id.0)
                    .execute(&self.pool)
                    .await
                    .map_err(Self::error)?;
                Ok(done.rows_affected() == 1)
            }

            async fn achievement(
                &self,
                id: $crate::domain::achievement::AchievementId,
            ) -> $crate::store::StoreResult<Option<$crate::domain::achievement::Achievement>> {
                sqlx::query_as::<_, $crate::store::rows::AchievementRow>("SELECT * FROM achievement WHERE achievement_id = $1")
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(Self::error)?
                    .map(TryInto::try_into)
                    .transpose()
            }

            async fn award_source(
                &self,
                achievement: $crate::domain::achievement::AchievementId,
                email: &str,
                api_key: Option<$crate::domain::api_key::ApiKeyId>,
            ) -> $crate::store::StoreResult<Option<$crate::store::AwardSource>> {
                sqlx::query_as::<_, $crate::store::rows::AwardSourceRow>($crate::store::AWARD_SOURCE_SQL)
                .bind(achievement.0)
                .bind(email)
                .bind(api_key.map(|k| k.0))
                .fetch_optional(&self.pool)
                .await
                .map_err(Self::error)?
                .map(TryInto::try_into)
                .transpose()
            }

            async fn signing_source(
                &self,
                did: &str,
                api_key: $crate::domain::api_key::ApiKeyId,
            ) -> $crate::store::StoreResult<Option<$crate::store::SigningSource>> {
                sqlx::query_as::<_, $crate::store::rows::SigningSourceRow>($crate::store::SIGNING_SOURCE_SQL)
                    .bind(did)
                    .bind(api_key.0)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(Self::error)?
                    .map(TryInto::try_into)
                    .transpose()
            }

            async fn achievements(
                &self,
                issuer: $crate::domain::issuer::IssuerId,
            ) -> $crate::store::StoreResult<Vec<$crate::domain::achievement::Achievement>> {
                sqlx::query_as::<_, $crate::store::rows::AchievementRow>(
                    "SELECT * FROM achievement WHERE issuer_id = $1 ORDER BY created_at, achievement_id",
                )
                .bind(issuer.0)
                .fetch_all(&self.pool)
                .await
                .map_err(Self::error)?
                .into_iter()
                .map(TryInto::try_into)
                .collect()
            }

            async fn insert_image(
                &self,
                image: &$crate::domain::image::Image,
                at: time::OffsetDateTime,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO image (digest, media_type, content, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (digest) DO NOTHING",
                )
                .bind(&image.digest)
                .bind(image.kind.media_type())
                .bind(&image.content)
                .bind(at)
                .execute(&self.pool)
                .await
                .map_err(Self::error)?;
                Ok(())
            }

            async fn image(
                &self,
                digest: &str,
            ) -> $crate::store::StoreResult<Option<$crate::domain::image::Image>> {
                let row: Option<(String, Vec<u8>)> =
                    sqlx::query_as("SELECT media_type, content FROM image WHERE digest = $1")
                        .bind(digest)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(Self::error)?;
                row.map(|(media_type, content)| {
                    let kind = $crate::domain::image::ImageType::parse(&media_type).ok_or_else(|| {
                        $crate::store::StoreError::Corrupt(format!("image {digest}: media type {media_type:?}"))
                    })?;
                    Ok($crate::domain::image::Image { kind, content, digest: digest.to_owned() })
                })
                .transpose()
            }

            async fn insert_credential(
                &self,
                c: &$crate::domain::award::IssuedCredential,
                audit: &$crate::domain::audit::AuditEntry,
                delivery: Option<&$crate::store::NewDelivery>,
            ) -> $crate::store::StoreResult<()> {
                self.group.insert(self, c, audit, delivery).await
            }

            async fn credential(
                &self,
                id: $crate::domain::award::CredentialId,
            ) -> $crate::store::StoreResult<Option<$crate::domain::award::IssuedCredential>> {
                sqlx::query_as::<_, $crate::store::rows::CredentialRow>("SELECT * FROM credential WHERE credential_id = $1")
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(Self::error)?
                    .map(TryInto::try_into)
                    .transpose()
            }

            async fn credential_by_idempotency_key(
                &self,
                issuer: $crate::domain::issuer::IssuerId,
                key: &str,
            ) -> $crate::store::StoreResult<Option<$crate::domain::award::IssuedCredential>> {
                sqlx::query_as::<_, $crate::store::rows::CredentialRow>(
                    "SELECT * FROM credential WHERE issuer_id = $1 AND idempotency_key = $2",
                )
                .bind(issuer.0)
                .bind(key)
                .fetch_optional(&self.pool)
                .await
                .map_err(Self::error)?
                .map(TryInto::try_into)
                .transpose()
            }

            async fn credential_by_external_id(
                &self,
                external_id: &str,
                issuer: Option<$crate::domain::issuer::IssuerId>,
            ) -> $crate::store::StoreResult<Option<$crate::domain::award::CredentialId>> {
                let id: Option<(uuid::Uuid,)> = sqlx::query_as(
                    "SELECT credential_id FROM credential WHERE external_id = $1 AND ($2 IS NULL OR issuer_id = $2) \
                     ORDER BY issued_at DESC LIMIT 1",
                )
                .bind(external_id)
                .bind(issuer.map(|i| i.0))
                .fetch_optional(&self.pool)
                .await
                .map_err(Self::error)?;
                Ok(id.map(|(id,)| $crate::domain::award::CredentialId(id)))
            }

            async fn holders(
                &self,
                achievement: $crate::domain::achievement::AchievementId,
                emails: &[&str],
            ) -> $crate::store::StoreResult<Vec<(String, $crate::domain::award::CredentialId)>> {
                let mut held = Vec::new();
                for chunk in emails.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "SELECT recipient_email, credential_id FROM credential WHERE achievement_id = ",
                    );
                    q.push_bind(achievement.0).push(" AND recipient_email IN (");
                    let mut list = q.separated(", ");
                    for email in chunk {
                        list.push_bind(*email);
                    }
                    q.push(") ORDER BY issued_at, credential_id");
                    let rows: Vec<(String, uuid::Uuid)> =
                        q.build_query_as().fetch_all(&self.pool).await.map_err(Self::error)?;
                    held.extend(rows.into_iter().map(|(email, id)| (email, $crate::domain::award::CredentialId(id))));
                }
                Ok(held)
            }

            async fn list_credentials(
                &self,
                f: &$crate::store::CredentialFilter,
            ) -> $crate::store::StoreResult<Vec<$crate::domain::award::IssuedCredential>> {
                // Keyset pagination on (issued_at, credential_id) stays fast however deep the listing goes.
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT * FROM credential WHERE 1 = 1");
                push_credential_filter(&mut q, f);
                q.push(" ORDER BY issued_at, credential_id LIMIT ").push_bind(i64::from(f.limit));
                q.build_query_as::<$crate::store::rows::CredentialRow>()
                    .fetch_all(&self.pool)
                    .await
                    .map_err(Self::error)?
                    .into_iter()
                    .map(TryInto::try_into)
                    .collect()
            }

            async fn latest_status_list(
                &self,
                issuer: $crate::domain::issuer::IssuerId,
                purpose: $crate::domain::status::StatusPurpose,
            ) -> $crate::store::StoreResult<Option<$crate::domain::status::StatusList>> {
                sqlx::query_as::<_, $crate::store::rows::StatusListRow>(
                    "SELECT * FROM status_list WHERE issuer_id = $1 AND purpose = $2 ORDER BY created_at DESC, status_list_id LIMIT 1",
                )
                .bind(issuer.0)
                .bind(purpose.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(Self::error)?
                .map(TryInto::try_into)
                .transpose()
            }

            async fn status_list(
                &self,
                id: $crate::domain::status::StatusListId,
            ) -> $crate::store::StoreResult<Option<$crate::domain::status::StatusList>> {
                sqlx::query_as::<_, $crate::store::rows::StatusListRow>("SELECT * FROM status_list WHERE status_list_id = $1")
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(Self::error)?
                    .map(TryInto::try_into)
                    .transpose()
            }

            async fn status_list_versions(
                &self,
            ) -> $crate::store::StoreResult<Vec<($crate::domain::status::StatusListId, i64)>> {
                let rows: Vec<(uuid::Uuid, i64)> = sqlx::query_as("SELECT status_list_id, version FROM status_list")
                    .fetch_all(&self.pool)
                    .await
                    .map_err(Self::error)?;
                Ok(rows.into_iter().map(|(id, v)| ($crate::domain::status::StatusListId(id), v)).collect())
            }

            async fn insert_status_list(&self, list: &$crate::domain::status::StatusList) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO status_list (status_list_id, issuer_id, purpose, size, version, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(list.id.0)
                .bind(list.issuer_id.0)
                .bind(list.purpose.as_str())
                .bind(i64::from(list.size))
                .bind(list.version)
                .bind(list.created_at)
                .execute(&self.pool)
                .await
                .map_err(Self::error)?;
                Ok(())
            }

            async fn claim_status_slots(
                &self,
                list: $crate::domain::status::StatusListId,
                n: u32,
            ) -> $crate::store::StoreResult<u32> {
                let (used,): (i64,) =
                    sqlx::query_as("UPDATE status_list SET used = used + $2 WHERE status_list_id = $1 RETURNING used")
                        .bind(list.0)
                        .bind(i64::from(n))
                        .fetch_one(&self.pool)
                        .await
                        .map_err(Self::error)?;
                Ok(u32::try_from(used).unwrap_or(u32::MAX))
            }

            async fn taken_status_indexes(
                &self,
                list: $crate::domain::status::StatusListId,
            ) -> $crate::store::StoreResult<Vec<u32>> {
                let rows: Vec<(i64,)> = sqlx::query_as(
                    "SELECT status_index FROM credential WHERE status_list_id = $1 \
                     UNION ALL SELECT suspension_index FROM credential WHERE suspension_list_id = $1",
                )
                .bind(list.0)
                .fetch_all(&self.pool)
                .await
                .map_err(Self::error)?;
                Ok(rows.into_iter().filter_map(|(i,)| u32::try_from(i).ok()).collect())
            }

            async fn insert_batch(
                &self,
                credentials: &[$crate::domain::award::IssuedCredential],
                audits: &[$crate::domain::audit::AuditEntry],
                deliveries: &[$crate::store::NewDelivery],
                batch: Option<&$crate::store::BatchRecord>,
            ) -> $crate::store::StoreResult<()> {
                self.insert_rows(credentials, audits, deliveries, batch).await
            }

            async fn refresh_statistics(&self) -> $crate::store::StoreResult<Option<u64>> {
                let Some((analyze, estimate)) = Self::REFRESH_STATISTICS else { return Ok(None) };
                let mut tx = self.pool.begin().await.map_err(Self::error)?;
                for &statement in analyze {
                    sqlx::query(statement).execute(&mut *tx).await.map_err(Self::error)?;
                }
                let (rows,): (i64,) = sqlx::query_as(estimate).fetch_one(&mut *tx).await.map_err(Self::error)?;
                tx.commit().await.map_err(Self::error)?;
                Ok(u64::try_from(rows).ok())
            }

            async fn batch_by_idempotency_key(
                &self,
                issuer: $crate::domain::issuer::IssuerId,
                key: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::BatchRecord>> {
                let row: Option<(uuid::Uuid, uuid::Uuid, String, Vec<u8>, String, time::OffsetDateTime)> = sqlx::query_as(
                    "SELECT award_batch_id, issuer_id, idempotency_key, request_hash, response, created_at FROM award_batch \
                     WHERE issuer_id = $1 AND idempotency_key = $2",
                )
                .bind(issuer.0)
                .bind(key)
                .fetch_optional(&self.pool)
                .await
                .map_err(Self::error)?;
                row.map(|(id, issuer_id, idempotency_key, hash, response, created_at)| {
                    Ok($crate::store::BatchRecord {
                        id,
                        issuer_id: $crate::domain::issuer::IssuerId(issuer_id),
                        idempotency_key,
                        request_hash: hash.try_into().map_err(|_| $crate::store::StoreError::Corrupt(format!("batch {id} hash")))?,
                        response,
                        created_at,
                    })
                })
                .transpose()
            }

            async fn status_slots_taken(
                &self,
                list: $crate::domain::status::StatusListId,
                indexes: &[u32],
            ) -> $crate::store::StoreResult<Vec<u32>> {
                let mut taken = Vec::new();
                for chunk in indexes.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new("SELECT status_index FROM credential WHERE status_list_id = ");
                    q.push_bind(list.0).push(" AND status_index IN (");
                    let mut each = q.separated(", ");
                    for &index in chunk {
                        each.push_bind(i64::from(index));
                    }
                    q.push(") UNION ALL SELECT suspension_index FROM credential WHERE suspension_list_id = ");
                    q.push_bind(list.0).push(" AND suspension_index IN (");
                    let mut each = q.separated(", ");
                    for &index in chunk {
                        each.push_bind(i64::from(index));
                    }
                    q.push(")");
                    // Not prepared: the text changes with the number of candidates, and it runs once per block.
                    let rows: Vec<(i64,)> =
                        q.build_query_as().persistent(false).fetch_all(&self.pool).await.map_err(Self::error)?;
                    taken.extend(rows.into_iter().filter_map(|(i,)| u32::try_from(i).ok()));
                }
                Ok(taken)
            }

            async fn set_credential_status(
                &self,
                id: $crate::domain::award::CredentialId,
                purpose: $crate::domain::status::StatusPurpose,
                set: Option<$crate::domain::award::StatusReasons<'_>>,
                audit: &$crate::domain::audit::AuditEntry,
            ) -> $crate::store::StoreResult<bool> {
                use $crate::domain::status::StatusPurpose;
                let at = audit.at;
                // Only a real change is written (and audited, and bumps the list's version): revoking twice
                // keeps the first date and reason, as does suspending twice.
                let (update, list) = match (purpose, set.is_some()) {
                    // A revocation ends any suspension deadline: there is nothing left to withdraw.
                    (StatusPurpose::Revocation, _) => (
                        "UPDATE credential SET revoked_at = $1, revocation_reason = $2, revocation_public_reason = $3, \
                         suspended_until = $5 WHERE credential_id = $4 AND status_list_id IS NOT NULL AND revoked_at IS NULL",
                        "SELECT status_list_id FROM credential WHERE credential_id = $1",
                    ),
                    (StatusPurpose::Suspension, true) => (
                        "UPDATE credential SET suspended_at = $1, suspension_reason = $2, suspension_public_reason = $3, \
                         suspended_until = $5 WHERE credential_id = $4 AND suspension_list_id IS NOT NULL AND suspended_at IS NULL",
                        "SELECT suspension_list_id FROM credential WHERE credential_id = $1",
                    ),
                    (StatusPurpose::Suspension, false) => (
                        "UPDATE credential SET suspended_at = $1, suspension_reason = $2, suspension_public_reason = $3, \
                         suspended_until = $5 WHERE credential_id = $4 AND suspension_list_id IS NOT NULL AND suspended_at IS NOT NULL",
                        "SELECT suspension_list_id FROM credential WHERE credential_id = $1",
                    ),
                };
                let mut tx = self.pool.begin().await.map_err(Self::error)?;
                let done = sqlx::query(update)
                    .bind(set.map(|_| at))
                    .bind(set.map(|r| r.note))
                    .bind(set.and_then(|r| r.public))
                    .bind(id.0)
                    .bind(set.and_then(|r| r.until).map($crate::store::unix_ms))
                    .execute(&mut *tx)
                    .await
                    .map_err(Self::error)?;
                let (list,): (Option<uuid::Uuid>,) =
                    sqlx::query_as(list).bind(id.0).fetch_one(&mut *tx).await.map_err(Self::error)?;
                if done.rows_affected() != 1 {
                    // Unchanged (already in that state), or no entry for this purpose at all.
                    return Ok(list.is_some());
                }
                bump_list_versions(&mut tx, list.iter()).await?;
                insert_audits(&mut tx, std::slice::from_ref(audit)).await?;
                tx.commit().await.map_err(Self::error)?;
                Ok(true)
            }

            async fn audit_events(
                &self,
                after: Option<i64>,
                limit: u32,
            ) -> $crate::store::StoreResult<Vec<$crate::domain::audit::AuditEvent>> {
                let rows = sqlx::query_as::<_, $crate::store::rows::AuditRow>(
                    "SELECT * FROM audit_event WHERE ($1 IS NULL OR audit_event_id > $1) ORDER BY audit_event_id LIMIT $2",
                )
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(Self::error)?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn set_status_indexes(
                &self,
                list: $crate::domain::status::StatusListId,
                purpose: $crate::domain::status::StatusPurpose,
            ) -> $crate::store::StoreResult<Vec<u32>> {
                let rows: Vec<(i64,)> = sqlx::query_as($crate::store::set_status_indexes_sql(purpose)).bind(list.0).fetch_all(&self.pool).await.map_err(Self::error)?;
                Ok(rows.into_iter().filter_map(|(i,)| u32::try_from(i).ok()).collect())
            }

            async fn insert_api_key(
                &self,
                key: &$crate::domain::api_key::ApiKey,
                secret_hash: &$crate::domain::api_key::SecretHash,
                audit: &$crate::domain::audit::AuditEntry,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(Self::error)?;
                sqlx::query(
                    "INSERT INTO api_key (api_key_id, issuer_id, role, name, secret_hash, created_at, revoked_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(key.id.0)
                .bind(key.issuer_id.0)
                .bind(key.role.as_str())
                .bind(&key.name)
                .bind(&secret_hash.0[..])
                .bind(key.created_at)
                .bind(key.revoked_at)
                .execute(&mut *tx)
                .await
                .map_err(Self::error)?;
                insert_audits(&mut tx, std::slice::from_ref(audit)).await?;
                tx.commit().await.map_err(Self::error)
            }

            async fn api_keys(&self) -> $crate::store::StoreResult<Vec<$crate::domain::api_key::ApiKey>> {
                sqlx::query_as::<_, $crate::store::rows::ApiKeyRow>("SELECT * FROM api_key ORDER BY created_at, api_key_id")
                    .fetch_all(&self.pool)
                    .await
                    .map_err(Self::error)?
                    .into_iter()
                    .map(|row| {
                        <($crate::domain::api_key::ApiKey, $crate::domain::api_key::SecretHash)>::try_from(row)
                            .map(|(key, _)| key)
                    })
                    .collect()
            }

            async fn api_key(
                &self,
                id: $crate::domain::api_key::ApiKeyId,
            ) -> $crate::store::StoreResult<
                Option<($crate::domain::api_key::ApiKey, $crate::domain::api_key::SecretHash)>,
            > {
                sqlx::query_as::<_, $crate::store::rows::ApiKeyRow>("SELECT * FROM api_key WHERE api_key_id = $1")
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(Self::error)?
                    .map(TryInto::try_into)
                    .transpose()
            }

            async fn revoke_api_key(
                &self,
                id: $crate::domain::api_key::ApiKeyId,
                audit: &$crate::domain::audit::AuditEntry,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.pool.begin().await.map_err(Self::error)?;
                let done = sqlx::query("UPDATE api_key SET revoked_at = $1 WHERE api_key_id = $2 AND revoked_at IS NULL")
                    .bind(audit.at)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(Self::error)?;
                if done.rows_affected() == 1 {
                    insert_audits(&mut tx, std::slice::from_ref(audit)).await?;
                    tx.commit().await.map_err(Self::error)?;
                    return Ok(true);
                }
                drop(tx);
                // Revoking twice is not an error; only an unknown id is.
                Ok(self.api_key(id).await?.is_some())
            }

            async fn take_deliveries(
                &self,
                now_ms: i64,
                lease_until_ms: i64,
                limit: u32,
            ) -> $crate::store::StoreResult<Vec<$crate::store::TakenDelivery>> {
                let mut tx = self.pool.begin().await.map_err(Self::error)?;
                let taken: Vec<(uuid::Uuid, String, i64)> = sqlx::query_as(Self::TAKE_DELIVERIES)
                    .bind(now_ms)
                    .bind(lease_until_ms)
                    .bind(i64::from(limit))
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(Self::error)?;
                let mut credentials = std::collections::HashMap::new();
                let mut corrupt = Vec::new();
                for chunk in taken.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new("SELECT * FROM credential WHERE credential_id IN (");
                    let mut ids = q.separated(", ");
                    for (id, _, _) in chunk {
                        ids.push_bind(*id);
                    }
                    q.push(")");
                    for row in q
                        .build_query_as::<$crate::store::rows::CredentialRow>()
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(Self::error)?
                    {
                        let id = row.id();
                        match $crate::domain::award::IssuedCredential::try_from(row) {
                            Ok(c) => {
                                credentials.insert(id, c);
                            }
                            Err(e) => corrupt.push((id, e.to_string())),
                        }
                    }
                }
                // A row the domain refuses would otherwise be taken again and again: it fails, with why.
                for (id, error) in &corrupt {
                    tracing::error!(credential.id = %id, "cannot e-mail credential {id}: {error}");
                    sqlx::query("UPDATE delivery SET status = 'failed', last_error = $1 WHERE credential_id = $2")
                        .bind(error)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(Self::error)?;
                }
                tx.commit().await.map_err(Self::error)?;
                Ok(taken
                    .into_iter()
                    .filter_map(|(id, recipient_email, attempts)| {
                        Some($crate::store::TakenDelivery {
                            credential: credentials.remove(&id)?,
                            recipient_email,
                            attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                            lease_until_ms,
                        })
                    })
                    .collect())
            }

            async fn record_deliveries(
                &self,
                outcomes: &[$crate::store::DeliveryOutcome],
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(Self::error)?;
                for o in outcomes {
                    sqlx::query(
                        "UPDATE delivery SET status = $1, last_error = $2, next_attempt_at = $3, sent_at = $4 \
                         WHERE credential_id = $5 AND status = 'pending' AND attempts = $6 AND next_attempt_at = $7",
                    )
                    .bind(o.status.as_str())
                    .bind(o.last_error.as_deref())
                    .bind(o.next_attempt_ms)
                    .bind(o.sent_at)
                    .bind(o.credential_id.0)
                    .bind(i64::from(o.taken.0))
                    .bind(o.taken.1)
                    .execute(&mut *tx)
                    .await
                    .map_err(Self::error)?;
                }
                tx.commit().await.map_err(Self::error)
            }

            async fn delivery(
                &self,
                id: $crate::domain::award::CredentialId,
            ) -> $crate::store::StoreResult<Option<$crate::domain::delivery::Delivery>> {
                Ok(self.deliveries(&[id]).await?.remove(&id))
            }

            async fn deliveries(
                &self,
                ids: &[$crate::domain::award::CredentialId],
            ) -> $crate::store::StoreResult<
                std::collections::HashMap<$crate::domain::award::CredentialId, $crate::domain::delivery::Delivery>,
            > {
                let mut found = std::collections::HashMap::new();
                for chunk in ids.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "SELECT credential_id, status, attempts, last_error, sent_at, claimed_at FROM delivery \
                         WHERE credential_id IN (",
                    );
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(id.0);
                    }
                    q.push(")");
                    for row in q
                        .build_query_as::<$crate::store::rows::DeliveryRow>()
                        .fetch_all(&self.pool)
                        .await
                        .map_err(Self::error)?
                    {
                        let (id, delivery) = row.try_into()?;
                        found.insert(id, delivery);
                    }
                }
                Ok(found)
            }

            async fn requeue_delivery(
                &self,
                delivery: &$crate::store::NewDelivery,
                audit: &$crate::domain::audit::AuditEntry,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(Self::error)?;
                sqlx::query(
                    "INSERT INTO delivery (credential_id, recipient_email, status, attempts, next_attempt_at, created_at) \
                     VALUES ($1, $2, $3, 0, $4, $5) ON CONFLICT (credential_id) DO UPDATE SET status = excluded.status, \
                     attempts = 0, last_error = NULL, next_attempt_at = excluded.next_attempt_at, sent_at = NULL, \
                     created_at = excluded.created_at",
                )
                .bind(delivery.credential_id.0)
                .bind(&delivery.recipient_email)
                .bind(delivery.status.as_str())
                .bind($crate::store::unix_ms(delivery.created_at))
                .bind(delivery.created_at)
                .execute(&mut *tx)
                .await
                .map_err(Self::error)?;
                insert_audits(&mut tx, std::slice::from_ref(audit)).await?;
                tx.commit().await.map_err(Self::error)
            }

            async fn mark_claimed(
                &self,
                id: $crate::domain::award::CredentialId,
                at: time::OffsetDateTime,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query("UPDATE delivery SET claimed_at = $1 WHERE credential_id = $2 AND claimed_at IS NULL")
                    .bind(at)
                    .bind(id.0)
                    .execute(&self.pool)
                    .await
                    .map_err(Self::error)?;
                Ok(done.rows_affected() == 1)
            }

            async fn delivery_queue(&self) -> $crate::store::StoreResult<$crate::store::DeliveryQueue> {
                // Sent and skipped rows only grow; their rate is `microcred_mail_sent_total`.
                let counts: Vec<(String, i64)> =
                    sqlx::query_as("SELECT status, COUNT(*) FROM delivery WHERE status IN ('pending', 'failed') GROUP BY status")
                        .fetch_all(&self.pool)
                        .await
                        .map_err(Self::error)?;
                let oldest: Option<(time::OffsetDateTime,)> = sqlx::query_as(
                    "SELECT created_at FROM delivery WHERE status = 'pending' ORDER BY created_at LIMIT 1",
                )
                .fetch_optional(&self.pool)
                .await
                .map_err(Self::error)?;
                let by_status = counts
                    .into_iter()
                    .map(|(s, n)| Ok((s.parse().map_err(|_| $crate::store::rows::corrupt("delivery status", &s))?, n as u64)))
                    .collect::<$crate::store::StoreResult<_>>()?;
                Ok($crate::store::DeliveryQueue { by_status, oldest_pending: oldest.map(|(t,)| t) })
            }

            async fn deployment_secret(&self, name: &str, candidate: &[u8]) -> $crate::store::StoreResult<Vec<u8>> {
                sqlx::query("INSERT INTO deployment_secret (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                    .bind(name)
                    .bind(candidate)
                    .execute(&self.pool)
                    .await
                    .map_err(Self::error)?;
                let (value,): (Vec<u8>,) = sqlx::query_as("SELECT value FROM deployment_secret WHERE name = $1")
                    .bind(name)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(Self::error)?;
                Ok(value)
            }

            async fn latest_issuer_of(
                &self,
                lookup: &[u8; 32],
            ) -> $crate::store::StoreResult<Option<$crate::domain::issuer::IssuerId>> {
                let row: Option<(uuid::Uuid,)> = sqlx::query_as(
                    "SELECT issuer_id FROM credential WHERE recipient_lookup = $1 ORDER BY issued_at DESC LIMIT 1",
                )
                .bind(&lookup[..])
                .fetch_optional(&self.pool)
                .await
                .map_err(Self::error)?;
                Ok(row.map(|(id,)| $crate::domain::issuer::IssuerId(id)))
            }

            async fn credentials_by_lookup(
                &self,
                lookup: &[u8; 32],
            ) -> $crate::store::StoreResult<Vec<$crate::domain::award::IssuedCredential>> {
                sqlx::query_as::<_, $crate::store::rows::CredentialRow>(
                    "SELECT * FROM credential WHERE recipient_lookup = $1 ORDER BY issued_at DESC, credential_id LIMIT 1000",
                )
                .bind(&lookup[..])
                .fetch_all(&self.pool)
                .await
                .map_err(Self::error)?
                .into_iter()
                .map(TryInto::try_into)
                .collect()
            }

            async fn credentials_missing_lookup(
                &self,
                limit: u32,
            ) -> $crate::store::StoreResult<Vec<($crate::domain::award::CredentialId, String)>> {
                let rows: Vec<(uuid::Uuid, String)> = sqlx::query_as(
                    "SELECT credential_id, recipient_email FROM credential \
                     WHERE recipient_lookup IS NULL AND recipient_email IS NOT NULL LIMIT $1",
                )
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(Self::error)?;
                Ok(rows.into_iter().map(|(id, e)| ($crate::domain::award::CredentialId(id), e)).collect())
            }

            async fn set_recipient_lookups(
                &self,
                lookups: &[($crate::domain::award::CredentialId, [u8; 32])],
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(Self::error)?;
                for (id, lookup) in lookups {
                    sqlx::query("UPDATE credential SET recipient_lookup = $1 WHERE credential_id = $2")
                        .bind(&lookup[..])
                        .bind(id.0)
                        .execute(&mut *tx)
                        .await
                        .map_err(Self::error)?;
                }
                tx.commit().await.map_err(Self::error)
            }

            async fn insert_sign_in_token(&self, t: &$crate::store::LearnerToken) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO sign_in_token (token_hash, recipient_lookup, email, expires_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(&t.hash[..])
                .bind(&t.recipient_lookup[..])
                .bind(&t.email)
                .bind(t.expires_ms)
                .execute(&self.pool)
                .await
                .map_err(Self::error)?;
                // Expired tokens have no use: keep the table small.
                sqlx::query("DELETE FROM sign_in_token WHERE expires_at < $1")
                    .bind(t.expires_ms - 24 * 3_600_000)
                    .execute(&self.pool)
                    .await
                    .map_err(Self::error)?;
                Ok(())
            }

            async fn recent_sign_in_tokens(&self, lookup: &[u8; 32], after_ms: i64) -> $crate::store::StoreResult<u32> {
                let (n,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM sign_in_token WHERE recipient_lookup = $1 AND expires_at > $2")
                        .bind(&lookup[..])
                        .bind(after_ms)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(Self::error)?;
                Ok(u32::try_from(n).unwrap_or(u32::MAX))
            }

            async fn redeem_sign_in_token(
                &self,
                token_hash: &[u8; 32],
                now_ms: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::LearnerToken>> {
                let row: Option<(Vec<u8>, String, i64)> = sqlx::query_as(
                    "UPDATE sign_in_token SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
                     RETURNING recipient_lookup, email, expires_at",
                )
                .bind(now_ms)
                .bind(&token_hash[..])
                .fetch_optional(&self.pool)
                .await
                .map_err(Self::error)?;
                row.map(|(lookup, email, expires_ms)| $crate::store::rows::learner_token(*token_hash, lookup, email, expires_ms))
                    .transpose()
            }

            async fn insert_learner_session(&self, s: &$crate::store::LearnerToken) -> $crate::store::StoreResult<()> {
                sqlx::query("DELETE FROM learner_session WHERE expires_at < $1")
                    .bind($crate::store::unix_ms(time::OffsetDateTime::now_utc()))
                    .execute(&self.pool)
                    .await
                    .map_err(Self::error)?;
                sqlx::query(
                    "INSERT INTO learner_session (session_hash, recipient_lookup, email, expires_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(&s.hash[..])
                .bind(&s.recipient_lookup[..])
                .bind(&s.email)
                .bind(s.expires_ms)
                .execute(&self.pool)
                .await
                .map_err(Self::error)?;
                Ok(())
            }

            async fn learner_session(
                &self,
                session_hash: &[u8; 32],
                now_ms: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::LearnerToken>> {
                let row: Option<(Vec<u8>, String, i64)> = sqlx::query_as(
                    "SELECT recipient_lookup, email, expires_at FROM learner_session WHERE session_hash = $1 AND expires_at > $2",
                )
                .bind(&session_hash[..])
                .bind(now_ms)
                .fetch_optional(&self.pool)
                .await
                .map_err(Self::error)?;
                row.map(|(lookup, email, expires_ms)| {
                    $crate::store::rows::learner_token(*session_hash, lookup, email, expires_ms)
                })
                .transpose()
            }

            async fn delete_learner_session(&self, session_hash: &[u8; 32]) -> $crate::store::StoreResult<()> {
                sqlx::query("DELETE FROM learner_session WHERE session_hash = $1")
                    .bind(&session_hash[..])
                    .execute(&self.pool)
                    .await
                    .map_err(Self::error)?;
                Ok(())
            }

            async fn insert_wallet_offer(
                &self,
                offer: &$crate::domain::wallet::WalletOffer,
                replaces: Option<&str>,
                audit: &$crate::domain::audit::AuditEntry,
            ) -> $crate::store::StoreResult<()> {
                // An unused code has no business staying in the database once its offer has expired. Its own
                // statement, outside the insert's transaction, so concurrent mints never wait on each other.
                sqlx::query("UPDATE wallet_offer SET code = NULL WHERE code IS NOT NULL AND expires_at < $1")
                    .bind(offer.created_ms)
                    .execute(&self.pool)
                    .await
                    .map_err(Self::error)?;
                let mut tx = self.pool.begin().await.map_err(Self::error)?;
                if let Some(created_by) = replaces {
                    sqlx::query(
                        "UPDATE wallet_offer SET expires_at = $1, code = NULL WHERE credential_id = $2 \
                         AND created_by = $3 AND redeemed_at IS NULL AND expires_at > $1",
                    )
                    .bind(offer.created_ms)
                    .bind(offer.credential_id.0)
                    .bind(created_by)
                    .execute(&mut *tx)
                    .await
                    .map_err(Self::error)?;
                }
                sqlx::query(
                    "INSERT INTO wallet_offer (offer_id, credential_id, code, code_hash, tx_code_hash, challenge, \
                     created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&offer.offer_id)
                .bind(offer.credential_id.0)
                .bind(offer.code.as_deref())
                .bind(&offer.code_hash[..])
                .bind(offer.tx_code_hash.map(|h| h.to_vec()))
                .bind(&offer.challenge)
                .bind(&offer.created_by)
                .bind(offer.created_ms)
                .bind(offer.expires_ms)
                .execute(&mut *tx)
                .await
                .map_err(Self::error)?;
                insert_audits(&mut tx, std::slice::from_ref(audit)).await?;
                tx.commit().await.map_err(Self::error)
            }

            async fn wallet_offer(
                &self,
                offer_id: &str,
            ) -> $crate::store::StoreResult<Option<$crate::domain::wallet::WalletOffer>> {
                sqlx::query_as::<_, $crate::store::rows::WalletOfferRow>("SELECT * FROM wallet_offer WHERE offer_id = $1")
                    .bind(offer_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(Self::error)?
                    .map(TryInto::try_into)
                    .transpose()
            }

            async fn serve_wallet_offer(
                &self,
                offer_id: &str,
                now_ms: i64,
            ) -> $crate::store::StoreResult<Option<$crate::domain::wallet::WalletOffer>> {
                let Some(offer) = self.wallet_offer(offer_id).await? else { return Ok(None) };
                let Some(code) = offer.code.clone() else { return Ok(None) };
                // Served once: the code leaves the database as it is handed out (only its hash stays, for the
                // token endpoint). Of two concurrent requests, the one whose update finds the code still
                // there serves it.
                let done = sqlx::query(
                    "UPDATE wallet_offer SET served_at = $1, code = NULL WHERE offer_id = $2 AND code = $3 \
                     AND served_at IS NULL AND redeemed_at IS NULL AND expires_at > $1",
                )
                .bind(now_ms)
                .bind(offer_id)
                .bind(&code)
                .execute(&self.pool)
                .await
                .map_err(Self::error)?;
                Ok((done.rows_affected() == 1).then_some(offer))
            }

            async fn wallet_offer_by_code(
                &self,
                code_hash: &[u8; 32],
            ) -> $crate::store::StoreResult<Option<$crate::domain::wallet::WalletOffer>> {
                sqlx::query_as::<_, $crate::store::rows::WalletOfferRow>("SELECT * FROM wallet_offer WHERE code_hash = $1")
                    .bind(&code_hash[..])
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(Self::error)?
                    .map(TryInto::try_into)
                    .transpose()
            }

            async fn note_tx_code_failure(
                &self,
                offer_id: &str,
                audit: &$crate::domain::audit::AuditEntry,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(Self::error)?;
                sqlx::query("UPDATE wallet_offer SET tx_code_failures = tx_code_failures + 1 WHERE offer_id = $1")
                    .bind(offer_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(Self::error)?;
                insert_audits(&mut tx, std::slice::from_ref(audit)).await?;
                tx.commit().await.map_err(Self::error)
            }

            async fn redeem_wallet_offer(
                &self,
                offer_id: &str,
                now_ms: i64,
                protocol: $crate::domain::wallet::WalletProtocol,
                token: Option<(&[u8; 32], i64)>,
                audit: &$crate::domain::audit::AuditEntry,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.pool.begin().await.map_err(Self::error)?;
                let done = sqlx::query(
                    "UPDATE wallet_offer SET redeemed_at = $1, protocol = $2, code = NULL, token_hash = $3, \
                     token_expires_at = $4 WHERE offer_id = $5 AND redeemed_at IS NULL AND expires_at > $1 \
                     AND tx_code_failures < $6",
                )
                .bind(now_ms)
                .bind(protocol.as_str())
                .bind(token.map(|(hash, _)| hash.to_vec()))
                .bind(token.map(|(_, expires)| expires))
                .bind(offer_id)
                .bind($crate::domain::wallet::MAX_TX_CODE_FAILURES)
                .execute(&mut *tx)
                .await
                .map_err(Self::error)?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                insert_audits(&mut tx, std::slice::from_ref(audit)).await?;
                tx.commit().await.map_err(Self::error)?;
                Ok(true)
            }

            async fn wallet_offer_by_token(
                &self,
                token_hash: &[u8; 32],
                now_ms: i64,
            ) -> $crate::store::StoreResult<Option<$crate::domain::wallet::WalletOffer>> {
                sqlx::query_as::<_, $crate::store::rows::WalletOfferRow>(
                    "SELECT * FROM wallet_offer WHERE token_hash = $1 AND token_expires_at > $2",
                )
                .bind(&token_hash[..])
                .bind(now_ms)
                .fetch_optional(&self.pool)
                .await
                .map_err(Self::error)?
                .map(TryInto::try_into)
                .transpose()
            }

            async fn insert_wallet_nonce(&self, nonce_hash: &[u8; 32], expires_ms: i64) -> $crate::store::StoreResult<()> {
                sqlx::query("INSERT INTO wallet_nonce (nonce_hash, expires_at) VALUES ($1, $2)")
                    .bind(&nonce_hash[..])
                    .bind(expires_ms)
                    .execute(&self.pool)
                    .await
                    .map_err(Self::error)?;
                sqlx::query("DELETE FROM wallet_nonce WHERE expires_at < $1")
                    .bind(expires_ms - 3_600_000)
                    .execute(&self.pool)
                    .await
                    .map_err(Self::error)?;
                Ok(())
            }

            async fn take_wallet_nonce(&self, nonce_hash: &[u8; 32], now_ms: i64) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query("DELETE FROM wallet_nonce WHERE nonce_hash = $1 AND expires_at > $2")
                    .bind(&nonce_hash[..])
                    .bind(now_ms)
                    .execute(&self.pool)
                    .await
                    .map_err(Self::error)?;
                Ok(done.rows_affected() == 1)
            }

            async fn insert_wallet_credential(
                &self,
                issued: &$crate::domain::wallet::WalletCredential,
                audit: &$crate::domain::audit::AuditEntry,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.pool.begin().await.map_err(Self::error)?;
                if !insert_wallet_credential_row(&mut tx, issued).await? {
                    return Ok(false);
                }
                insert_audits(&mut tx, std::slice::from_ref(audit)).await?;
                tx.commit().await.map_err(Self::error)?;
                Ok(true)
            }

            async fn finish_exchange(
                &self,
                issued: &$crate::domain::wallet::WalletCredential,
                audit: &$crate::domain::audit::AuditEntry,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.pool.begin().await.map_err(Self::error)?;
                let redeemed = sqlx::query(
                    "UPDATE wallet_offer SET redeemed_at = $1, protocol = $2, code = NULL WHERE offer_id = $3 \
                     AND redeemed_at IS NULL AND expires_at > $1",
                )
                .bind(issued.issued_ms)
                .bind(issued.protocol.as_str())
                .bind(&issued.offer_id)
                .execute(&mut *tx)
                .await
                .map_err(Self::error)?;
                if redeemed.rows_affected() != 1 || !insert_wallet_credential_row(&mut tx, issued).await? {
                    return Ok(false);
                }
                insert_audits(&mut tx, std::slice::from_ref(audit)).await?;
                // The learner took the credential into a wallet: it counts as claimed.
                sqlx::query("UPDATE delivery SET claimed_at = $1 WHERE credential_id = $2 AND claimed_at IS NULL")
                    .bind(audit.at)
                    .bind(issued.credential_id.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(Self::error)?;
                tx.commit().await.map_err(Self::error)?;
                Ok(true)
            }

            async fn wallet_credential(
                &self,
                notification_id: &str,
            ) -> $crate::store::StoreResult<Option<$crate::domain::wallet::WalletCredential>> {
                sqlx::query_as::<_, $crate::store::rows::WalletCredentialRow>(
                    "SELECT * FROM wallet_credential WHERE notification_id = $1",
                )
                .bind(notification_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(Self::error)?
                .map(TryInto::try_into)
                .transpose()
            }

            async fn set_wallet_event(
                &self,
                notification_id: &str,
                event: &str,
                at_ms: i64,
                audit: &$crate::domain::audit::AuditEntry,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(Self::error)?;
                sqlx::query("UPDATE wallet_credential SET event = $1, event_at = $2 WHERE notification_id = $3")
                    .bind(event)
                    .bind(at_ms)
                    .bind(notification_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(Self::error)?;
                insert_audits(&mut tx, std::slice::from_ref(audit)).await?;
                tx.commit().await.map_err(Self::error)
            }

            async fn wallet_credentials(
                &self,
                credential: $crate::domain::award::CredentialId,
            ) -> $crate::store::StoreResult<Vec<$crate::domain::wallet::WalletCredential>> {
                sqlx::query_as::<_, $crate::store::rows::WalletCredentialRow>(
                    "SELECT * FROM wallet_credential WHERE credential_id = $1 ORDER BY issued_at, notification_id",
                )
                .bind(credential.0)
                .fetch_all(&self.pool)
                .await
                .map_err(Self::error)?
                .into_iter()
                .map(TryInto::try_into)
                .collect()
            }
        }

        /// Records a credential handed to a wallet, unless its offer already gave one (false): one credential
        /// per offer, also when two requests race (the unique index on `offer_id` decides).
        async fn insert_wallet_credential_row(
            tx: &mut sqlx::Transaction<'_, $db>,
            issued: &$crate::domain::wallet::WalletCredential,
        ) -> $crate::store::StoreResult<bool> {
            let done = sqlx::query(
                "INSERT INTO wallet_credential (notification_id, offer_id, credential_id, holder, protocol, issued_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (offer_id) DO NOTHING",
            )
            .bind(&issued.notification_id)
            .bind(&issued.offer_id)
            .bind(issued.credential_id.0)
            .bind(issued.holder.as_deref())
            .bind(issued.protocol.as_str())
            .bind(issued.issued_ms)
            .execute(&mut **tx)
            .await
            .map_err(<$store>::error)?;
            Ok(done.rows_affected() == 1)
        }

        /// Queues deliveries, 1,000 rows to a statement (see [`insert_credential_rows`]).
        async fn insert_deliveries(
            tx: &mut sqlx::Transaction<'_, $db>,
            deliveries: &[$crate::store::NewDelivery],
        ) -> $crate::store::StoreResult<()> {
            for chunk in deliveries.chunks(1_000) {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO delivery (credential_id, recipient_email, status, next_attempt_at, created_at) ",
                );
                q.push_values(chunk, |mut row, d| {
                    row.push_bind(d.credential_id.0)
                        .push_bind(d.recipient_email.as_str())
                        .push_bind(d.status.as_str())
                        .push_bind($crate::store::unix_ms(d.created_at))
                        .push_bind(d.created_at);
                });
                q.build().execute(&mut **tx).await.map_err(<$store>::error)?;
            }
            Ok(())
        }

        async fn insert_key(
            tx: &mut sqlx::Transaction<'_, $db>,
            key: &$crate::store::IssuerKey,
        ) -> $crate::store::StoreResult<()> {
            sqlx::query(
                "INSERT INTO issuer_key (key_id, issuer_id, public_key, created_at, retired_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&key.key_id)
            .bind(key.issuer_id.0)
            .bind(&key.public_key[..])
            .bind(key.created_at)
            .bind(key.retired_at)
            .execute(&mut **tx)
            .await
            .map_err(<$store>::error)?;
            Ok(())
        }

        /// Inserts credentials, many rows to a statement: a statement per row made a 10,000-award batch
        /// 20,000 round trips, and on SQLite each one waits for the runtime to wake the task again, so a batch
        /// sent while pages were being served at full speed took minutes. 500 rows × 20 values stay under
        /// both databases' limits on bound values (SQLite 32,766, PostgreSQL 65,535).
        async fn insert_credential_rows(
            tx: &mut sqlx::Transaction<'_, $db>,
            credentials: &[$crate::domain::award::IssuedCredential],
        ) -> $crate::store::StoreResult<()> {
            for chunk in credentials.chunks(500) {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO credential (credential_id, issuer_id, achievement_id, recipient_name, recipient_email, \
                     document, issued_at, valid_until, language, allow_duplicate, idempotency_key, request_hash, api_key_id, \
                     status_list_id, status_index, suspension_list_id, suspension_index, external_id, recipient_lookup, valid_until_ms) ",
                );
                q.push_values(chunk, |mut row, c| {
                    row.push_bind(c.id.0)
                        .push_bind(c.issuer_id.0)
                        .push_bind(c.achievement_id.map(|a| a.0))
                        .push_bind(c.recipient_name.as_deref())
                        .push_bind(c.recipient_email.as_deref())
                        .push_bind(c.document.get())
                        .push_bind(c.issued_at)
                        .push_bind(c.valid_until)
                        .push_bind(c.language.as_deref())
                        .push_bind(c.allow_duplicate)
                        .push_bind(c.idempotency_key.as_deref())
                        .push_bind(c.request_hash.map(|h| h.to_vec()))
                        .push_bind(c.api_key_id.map(|k| k.0))
                        .push_bind(c.status.map(|s| s.list.0))
                        .push_bind(c.status.map(|s| i64::from(s.index)))
                        .push_bind(c.suspension.map(|s| s.list.0))
                        .push_bind(c.suspension.map(|s| i64::from(s.index)))
                        .push_bind(c.external_id.as_deref())
                        .push_bind(c.recipient_lookup.map(|h| h.to_vec()))
                        .push_bind(c.valid_until.map($crate::store::unix_ms));
                });
                q.build().execute(&mut **tx).await.map_err(<$store>::error)?;
            }
            Ok(())
        }

        /// The conditions of a credential filter (and its keyset cursor), after a `WHERE …`: only the filters
        /// given (a `($1 IS NULL OR col = $1)` form would keep the planner from using the indexes).
        fn push_credential_filter(q: &mut sqlx::QueryBuilder<$db>, f: &$crate::store::CredentialFilter) {
            if let Some(issuer) = f.issuer_id {
                q.push(" AND issuer_id = ").push_bind(issuer.0);
            }
            if let Some(achievement) = f.achievement_id {
                q.push(" AND achievement_id = ").push_bind(achievement.0);
            }
            if let Some(email) = &f.email {
                q.push(" AND recipient_email = ").push_bind(email.clone());
            }
            if let Some(after) = f.issued_after {
                q.push(" AND issued_at >= ").push_bind(after);
            }
            if let Some(before) = f.issued_before {
                q.push(" AND issued_at < ").push_bind(before);
            }
            if let Some((at, id)) = f.after {
                // A row value, not `a > x OR (a = x AND b > y)`: PostgreSQL can start an index scan at a row
                // value, while the OR form made every page walk the index from its start (O(depth); a
                // million-row CSV export never finished).
                q.push(" AND (issued_at, credential_id) > (").push_bind(at).push(", ").push_bind(id.0).push(")");
            }
        }

        /// Bumps each list's version once: its signed copy is remade at the next request, and every replica's
        /// cached verdicts that read it are recomputed.
        async fn bump_list_versions<'l>(
            tx: &mut sqlx::Transaction<'_, $db>,
            lists: impl IntoIterator<Item = &'l uuid::Uuid>,
        ) -> $crate::store::StoreResult<()> {
            for list in lists {
                sqlx::query("UPDATE status_list SET version = version + 1 WHERE status_list_id = $1")
                    .bind(list)
                    .execute(&mut **tx)
                    .await
                    .map_err(<$store>::error)?;
            }
            Ok(())
        }

        /// Appends audit entries, 1,000 rows to a statement (see [`insert_credential_rows`]).
        async fn insert_audits(
            tx: &mut sqlx::Transaction<'_, $db>,
            entries: &[$crate::domain::audit::AuditEntry],
        ) -> $crate::store::StoreResult<()> {
            for chunk in entries.chunks(1_000) {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO audit_event (at, api_key_id, issuer_id, action, subject, reason) ",
                );
                q.push_values(chunk, |mut row, e| {
                    row.push_bind(e.at)
                        .push_bind(e.api_key_id.map(|k| k.0))
                        .push_bind(e.issuer_id.map(|i| i.0))
                        .push_bind(e.action)
                        .push_bind(e.subject.as_str())
                        .push_bind(e.reason.as_deref());
                });
                q.build().execute(&mut **tx).await.map_err(<$store>::error)?;
            }
            Ok(())
        }
    };
}
