//! The facility icons (vendored Tabler outline icons) as SVG fragments to inline.
//! They draw with `currentColor`, so they print in black.

use std::sync::LazyLock;

use crate::domain::facility::{ALL_FACILITIES, Facility};

/// The icon file of each facility under `static/vendor/tabler-icons/`.
fn file(facility: Facility) -> &'static str {
    match facility {
        Facility::Water => "droplet",
        Facility::HotWater => "mug",
        Facility::Toilet => "toilet-paper",
        Facility::Charging => "battery-charging",
        Facility::Microwave => "microwave",
        Facility::Fridge => "fridge",
        Facility::Seats => "armchair",
        Facility::AirConditioning => "air-conditioning",
        Facility::Heating => "flame",
        Facility::Wifi => "wifi",
        Facility::FirstAid => "first-aid-kit",
        Facility::RainGear => "umbrella",
        Facility::RepairTools => "tool",
        Facility::Vending => "building-store",
        Facility::Reading => "book",
        Facility::Tv => "device-tv",
        Facility::BoardGames => "chess",
        Facility::Tea => "teapot",
        Facility::MotherBaby => "baby-carriage",
        Facility::BarrierFree => "accessible",
        Facility::Wheelchair => "wheelchair",
        Facility::ReadingGlasses => "eyeglass",
        Facility::BloodPressure => "heartbeat",
        Facility::Lockers => "lock",
        Facility::Washing => "hand-sanitizer",
        Facility::Laundry => "wash-machine",
        Facility::Kitchen => "tools-kitchen-2",
        Facility::Shower => "bath",
        Facility::Dining => "bowl-chopsticks",
    }
}

/// The empty square every Tabler icon starts with (a bounding box, drawn as nothing).
const BOX: &str = r#"<path stroke="none" d="M0 0h24v24H0z" fill="none" />"#;

/// The inner drawing of one icon file: what lies inside its `<svg>` element.
fn inner(svg: &str) -> Option<String> {
    let open = svg.find("<svg")?;
    let start = open + svg[open..].find('>')? + 1;
    let end = svg.rfind("</svg>")?;
    let body = svg.get(start..end)?.replace(BOX, "");
    Some(body.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Each facility's drawing, in the order of [`ALL_FACILITIES`], read once from the
/// embedded files (an icon missing from the build is drawn as nothing).
static DRAWINGS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ALL_FACILITIES
        .iter()
        .map(|f| {
            let path = format!("vendor/tabler-icons/{}.svg", file(*f));
            super::assets::file(&path).and_then(|bytes| inner(&String::from_utf8_lossy(&bytes))).unwrap_or_default()
        })
        .collect()
});

/// The drawing of a facility's icon on a 24×24 grid, stroked with `currentColor`;
/// the caller gives it an `<svg>` or `<symbol>` with `viewBox="0 0 24 24"`.
pub fn drawing(facility: Facility) -> &'static str {
    let index = ALL_FACILITIES.iter().position(|f| *f == facility).unwrap_or(0);
    DRAWINGS.get(index).map(String::as_str).unwrap_or_default()
}

/// The attributes that make a Tabler drawing look as designed.
pub const STROKE: &str =
    r#"fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round""#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_facility_has_its_icon_drawn_in_the_current_colour() {
        for f in ALL_FACILITIES {
            let d = drawing(f);
            assert!(d.contains("<path") || d.contains("<circle") || d.contains("<rect"), "{}: {d:?}", f.key());
            assert!(!d.contains("M0 0h24v24H0z"), "{}", f.key());
            assert!(!d.contains("fill=\"#") && !d.contains("stroke=\"#"), "{}: a fixed colour", f.key());
        }
    }
}
