//! Disaster mode as staff switched it: one row while it is on, every switch
//! in the audit log.

use serde::Serialize;

use super::database::{params, transaction};
use super::{Store, StoreError, now};

/// The one scope disaster mode has: the whole city.
const CITY: &str = "city";

/// Disaster mode, on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisasterNotice {
    /// Said before every answer, shown on the widget's banner.
    pub notice: String,
    /// A page with more (the city's disaster information).
    pub link: Option<String>,
    /// Unix time it was switched on.
    pub since: i64,
    /// Who switched it on.
    pub switched_by: String,
}

impl Store {
    /// Disaster mode, if it is on.
    pub fn disaster_mode(&self) -> Result<Option<DisasterNotice>, StoreError> {
        self.connect()?
            .query_row(
                "SELECT notice, link, since, switched_by FROM disaster_mode WHERE scope = ?1",
                params![CITY],
            )?
            .map(|row| {
                Ok(DisasterNotice {
                    notice: row.get(0)?,
                    link: row.get(1)?,
                    since: row.get(2)?,
                    switched_by: row.get(3)?,
                })
            })
            .transpose()
    }

    /// Switches disaster mode on with a notice (replacing one in force), or
    /// off with `None`, and writes who did it to the audit log.
    pub fn switch_disaster_mode(
        &self,
        notice: Option<(&str, Option<&str>)>,
        by: &str,
    ) -> Result<Option<DisasterNotice>, StoreError> {
        let at = now();
        let mut connection = self.connect()?;
        transaction(&mut *connection, |tx| {
            tx.execute("DELETE FROM disaster_mode WHERE scope = ?1", params![CITY])?;
            let detail = match notice {
                Some((text, link)) => {
                    tx.execute(
                        "INSERT INTO disaster_mode (scope, notice, link, since, switched_by) \
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![CITY, text, link, at, by],
                    )?;
                    match link {
                        Some(link) => format!("{text} {link}"),
                        None => text.to_string(),
                    }
                }
                None => String::new(),
            };
            let action = if notice.is_some() {
                "disaster_on"
            } else {
                "disaster_off"
            };
            tx.execute(
                "INSERT INTO audit_log (at, actor, action, detail) VALUES (?1, ?2, ?3, ?4)",
                params![at, by, action, detail],
            )?;
            Ok(())
        })?;
        Ok(notice.map(|(text, link)| DisasterNotice {
            notice: text.to_string(),
            link: link.map(String::from),
            since: at,
            switched_by: by.to_string(),
        }))
    }
}
