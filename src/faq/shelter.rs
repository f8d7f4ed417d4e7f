//! Evacuation shelters with their coordinates, from `shelters.yaml`: a
//! resident who shares where they are is told the nearest ones.

use std::path::Path;

use serde::Deserialize;

use super::source::SourceText;
use crate::diagnostic::{Diagnostic, Diagnostics, yaml_error};

/// The catalogue's file, within the FAQ directory.
pub const SHELTERS_FILE: &str = "shelters.yaml";
/// Mean radius of the Earth, in metres (for great-circle distances).
const EARTH_RADIUS_M: f64 = 6_371_000.0;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShelterFile {
    #[serde(default)]
    shelters: Vec<Shelter>,
}

/// One shelter.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Shelter {
    pub name: String,
    pub address: String,
    /// Degrees north (WGS 84, as LINE's location messages give them).
    pub latitude: f64,
    /// Degrees east.
    pub longitude: f64,
    /// The disasters it takes people in for (洪水, 地震, 土砂災害…).
    #[serde(default)]
    pub kinds: Vec<String>,
}

/// Reads and checks `shelters.yaml` when the content has one.
pub(super) fn load_shelters(
    dir: &Path,
    read: &mut impl FnMut(&Path, &mut Diagnostics) -> Option<String>,
    diagnostics: &mut Diagnostics,
) -> Vec<Shelter> {
    let path = dir.join(SHELTERS_FILE);
    if !path.exists() {
        return Vec::new();
    }
    let Some(text) = read(&path, diagnostics) else {
        return Vec::new();
    };
    let file: ShelterFile = match serde_yaml::from_str::<Option<ShelterFile>>(&text) {
        Ok(file) => file.unwrap_or_default(),
        Err(err) => {
            diagnostics.push(yaml_error(&path, &err));
            return Vec::new();
        }
    };
    let source = SourceText::new(&path, &text);
    for shelter in &file.shelters {
        let (line, _) = source.find_after(1, &format!("name: {}", shelter.name));
        if !(-90.0..=90.0).contains(&shelter.latitude)
            || !(-180.0..=180.0).contains(&shelter.longitude)
        {
            diagnostics.push(
                Diagnostic::error(
                    &path,
                    line,
                    0,
                    format!(
                        "「{}」 has no place on Earth: latitude {}, longitude {}",
                        shelter.name, shelter.latitude, shelter.longitude
                    ),
                )
                .with_help("latitude is -90 to 90 (海津市 about 35.2), longitude -180 to 180 (about 136.6)"),
            );
        }
        if file
            .shelters
            .iter()
            .filter(|s| s.name == shelter.name)
            .count()
            > 1
        {
            diagnostics.push(
                Diagnostic::error(
                    &path,
                    line,
                    0,
                    format!("the shelter 「{}」 is listed twice", shelter.name),
                )
                .with_help("list each shelter once"),
            );
        }
    }
    file.shelters
}

/// The `count` shelters nearest to a place, with their distances in metres
/// (as the crow flies), the nearest first.
pub fn nearest(
    shelters: &[Shelter],
    latitude: f64,
    longitude: f64,
    count: usize,
) -> Vec<(&Shelter, f64)> {
    let mut by_distance: Vec<(&Shelter, f64)> = shelters
        .iter()
        .map(|s| {
            (
                s,
                distance_m((latitude, longitude), (s.latitude, s.longitude)),
            )
        })
        .collect();
    by_distance.sort_by(|a, b| a.1.total_cmp(&b.1));
    by_distance.truncate(count);
    by_distance
}

/// The great-circle distance between two points (haversine), in metres.
fn distance_m((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> f64 {
    let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
    let d_phi = (lat2 - lat1).to_radians();
    let d_lambda = (lon2 - lon1).to_radians();
    let a = (d_phi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (d_lambda / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shelter(name: &str, latitude: f64, longitude: f64) -> Shelter {
        Shelter {
            name: name.into(),
            address: String::new(),
            latitude,
            longitude,
            kinds: Vec::new(),
        }
    }

    #[test]
    fn distances_are_great_circle_metres() {
        // Tokyo Station to Osaka Station: about 403 km.
        let d = distance_m((35.6812, 139.7671), (34.7025, 135.4959));
        assert!((400_000.0..406_000.0).contains(&d), "{d}");
        assert_eq!(distance_m((35.0, 136.0), (35.0, 136.0)), 0.0);
    }

    #[test]
    fn the_nearest_come_first() {
        let shelters = [
            shelter("far", 35.30, 136.70),
            shelter("near", 35.221, 136.637),
            shelter("middle", 35.24, 136.65),
        ];
        let found: Vec<&str> = nearest(&shelters, 35.2203, 136.6364, 2)
            .into_iter()
            .map(|(s, _)| s.name.as_str())
            .collect();
        assert_eq!(found, ["near", "middle"]);
    }
}
