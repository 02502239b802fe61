//! The fixed vocabulary of facilities, host types and audiences.

/// Something a station offers. Keys are stable: they appear in URLs and the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Facility {
    Water,
    HotWater,
    Toilet,
    Charging,
    Microwave,
    Fridge,
    Seats,
    AirConditioning,
    Heating,
    Wifi,
    FirstAid,
    RainGear,
    RepairTools,
    Vending,
    Reading,
    Tv,
    BoardGames,
    Tea,
    MotherBaby,
    BarrierFree,
    Wheelchair,
    ReadingGlasses,
    BloodPressure,
    Lockers,
    Washing,
    Laundry,
    Kitchen,
    Shower,
    Dining,
}

/// Every facility, in display order; the position is the bit in a [`FacilitySet`].
pub const ALL_FACILITIES: [Facility; 29] = [
    Facility::Water,
    Facility::HotWater,
    Facility::Toilet,
    Facility::Charging,
    Facility::Microwave,
    Facility::Fridge,
    Facility::Seats,
    Facility::AirConditioning,
    Facility::Heating,
    Facility::Wifi,
    Facility::FirstAid,
    Facility::RainGear,
    Facility::RepairTools,
    Facility::Vending,
    Facility::Reading,
    Facility::Tv,
    Facility::BoardGames,
    Facility::Tea,
    Facility::MotherBaby,
    Facility::BarrierFree,
    Facility::Wheelchair,
    Facility::ReadingGlasses,
    Facility::BloodPressure,
    Facility::Lockers,
    Facility::Washing,
    Facility::Laundry,
    Facility::Kitchen,
    Facility::Shower,
    Facility::Dining,
];

/// The nine facilities of the basic-service standard (Miyun, FACTS.md 002).
pub const BASIC_NINE: [Facility; 9] = [
    Facility::Seats,
    Facility::Water,
    Facility::Microwave,
    Facility::Charging,
    Facility::RepairTools,
    Facility::RainGear,
    Facility::FirstAid,
    Facility::Vending,
    Facility::Wifi,
];

/// How many of the nine a station needs to meet the basic standard.
pub const BASIC_THRESHOLD: u32 = 4;

/// The facilities a worker looks for first; shown on list rows and quick links.
pub const KEY_FACILITIES: [Facility; 4] = [Facility::Water, Facility::Toilet, Facility::Charging, Facility::Microwave];

impl Facility {
    /// The stable key used in URLs, the API and the database seed files.
    pub fn key(self) -> &'static str {
        match self {
            Facility::Water => "water",
            Facility::HotWater => "hot_water",
            Facility::Toilet => "toilet",
            Facility::Charging => "charging",
            Facility::Microwave => "microwave",
            Facility::Fridge => "fridge",
            Facility::Seats => "seats",
            Facility::AirConditioning => "air_conditioning",
            Facility::Heating => "heating",
            Facility::Wifi => "wifi",
            Facility::FirstAid => "first_aid",
            Facility::RainGear => "rain_gear",
            Facility::RepairTools => "repair_tools",
            Facility::Vending => "vending",
            Facility::Reading => "reading",
            Facility::Tv => "tv",
            Facility::BoardGames => "board_games",
            Facility::Tea => "tea",
            Facility::MotherBaby => "mother_baby",
            Facility::BarrierFree => "barrier_free",
            Facility::Wheelchair => "wheelchair",
            Facility::ReadingGlasses => "reading_glasses",
            Facility::BloodPressure => "blood_pressure",
            Facility::Lockers => "lockers",
            Facility::Washing => "washing",
            Facility::Laundry => "laundry",
            Facility::Kitchen => "kitchen",
            Facility::Shower => "shower",
            Facility::Dining => "dining",
        }
    }

    /// Parses a key; `None` for anything not in the vocabulary.
    pub fn parse(key: &str) -> Option<Facility> {
        ALL_FACILITIES.iter().copied().find(|f| f.key() == key)
    }

    fn bit(self) -> u64 {
        let index = ALL_FACILITIES.iter().position(|f| *f == self).unwrap_or(0);
        1 << index
    }

    /// Whether this facility is one of the nine of the basic standard.
    pub fn is_basic(self) -> bool {
        BASIC_NINE.contains(&self)
    }
}

/// A set of facilities stored as a bitmask (the database keeps the same integer).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FacilitySet(u64);

impl FacilitySet {
    /// The set from its stored bits; bits beyond the vocabulary are dropped.
    pub fn from_bits(bits: i64) -> Self {
        let mask = (1u64 << ALL_FACILITIES.len()) - 1;
        FacilitySet(bits as u64 & mask)
    }

    /// The bits to store.
    pub fn bits(self) -> i64 {
        self.0 as i64
    }

    pub fn insert(&mut self, f: Facility) {
        self.0 |= f.bit();
    }

    /// The facilities of `self` that are not in `other`.
    pub fn without(self, other: FacilitySet) -> FacilitySet {
        FacilitySet(self.0 & !other.0)
    }

    pub fn contains(self, f: Facility) -> bool {
        self.0 & f.bit() != 0
    }

    /// True when every facility of `other` is in `self`.
    pub fn contains_all(self, other: FacilitySet) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The facilities in display order.
    pub fn iter(self) -> impl Iterator<Item = Facility> {
        ALL_FACILITIES.into_iter().filter(move |f| self.contains(*f))
    }

    /// How many of the basic nine are present.
    pub fn basic_count(self) -> u32 {
        BASIC_NINE.iter().filter(|f| self.contains(**f)).count() as u32
    }

    /// The Miyun standard: at least four of the nine.
    pub fn meets_basic(self) -> bool {
        self.basic_count() >= BASIC_THRESHOLD
    }

    /// Parses keys; the first unknown key is returned as the error.
    pub fn from_keys<'a>(keys: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut set = FacilitySet::default();
        for key in keys {
            match Facility::parse(key) {
                Some(f) => set.insert(f),
                None => return Err(key.to_string()),
            }
        }
        Ok(set)
    }
}

impl FromIterator<Facility> for FacilitySet {
    fn from_iter<I: IntoIterator<Item = Facility>>(iter: I) -> Self {
        let mut set = FacilitySet::default();
        for f in iter {
            set.insert(f);
        }
        set
    }
}

macro_rules! keyed_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $key:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable key used in URLs, the API and the database.
            pub fn key(self) -> &'static str {
                match self { $($name::$variant => $key),+ }
            }

            /// Parses a key; `None` for anything not in the vocabulary.
            pub fn parse(key: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.key() == key)
            }
        }
    };
}
pub(crate) use keyed_enum;

keyed_enum!(
    /// Where a station lives.
    HostType {
        GovernmentHall => "government_hall",
        PartyServiceCentre => "party_service_centre",
        StreetOffice => "street_office",
        CommunityCentre => "community_centre",
        Mall => "mall",
        PetrolStation => "petrol_station",
        Restaurant => "restaurant",
        Supermarket => "supermarket",
        StreetShop => "street_shop",
        LogisticsPark => "logistics_park",
        Market => "market",
        DeliveryDepot => "delivery_depot",
        Company => "company",
        Park => "park",
        Other => "other",
    }
);

impl HostType {
    /// Whether a host of this type works 调休 make-up days by default: offices and
    /// centres keep the official working week; shops, restaurants, malls, markets and
    /// petrol stations keep their own.
    pub fn follows_makeup_by_default(self) -> bool {
        !matches!(
            self,
            HostType::Mall
                | HostType::PetrolStation
                | HostType::Restaurant
                | HostType::Supermarket
                | HostType::StreetShop
                | HostType::Market
        )
    }
}

keyed_enum!(
    /// Who a station says it is for.
    Audience {
        Courier => "courier",
        Rider => "rider",
        RideHail => "ride_hail",
        Taxi => "taxi",
        TruckDriver => "truck_driver",
        Sanitation => "sanitation",
        Security => "security",
        Cleaner => "cleaner",
    }
);

impl Audience {
    fn bit(self) -> i64 {
        1 << Self::ALL.iter().position(|a| *a == self).unwrap_or(0)
    }

    /// The audiences whose bits are set.
    pub fn from_bits(bits: i64) -> Vec<Audience> {
        Self::ALL.iter().copied().filter(|a| bits & a.bit() != 0).collect()
    }

    /// The bits to store for a list of audiences.
    pub fn to_bits(list: &[Audience]) -> i64 {
        list.iter().fold(0, |acc, a| acc | a.bit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_are_unique() {
        for f in ALL_FACILITIES {
            assert_eq!(Facility::parse(f.key()), Some(f));
        }
        let mut keys: Vec<_> = ALL_FACILITIES.iter().map(|f| f.key()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 29);
        assert_eq!(Facility::parse("jacuzzi"), None);
    }

    #[test]
    fn basic_standard_needs_four_of_nine() {
        let three = FacilitySet::from_keys(["seats", "water", "wifi", "toilet", "tv"]).unwrap();
        assert_eq!(three.basic_count(), 3);
        assert!(!three.meets_basic());
        let four = FacilitySet::from_keys(["seats", "water", "wifi", "first_aid"]).unwrap();
        assert!(four.meets_basic());
        let none_basic = FacilitySet::from_keys(["toilet", "tv", "shower", "laundry", "kitchen"]).unwrap();
        assert!(!none_basic.meets_basic());
    }

    #[test]
    fn sets_store_as_bits() {
        let set = FacilitySet::from_keys(["dining", "water"]).unwrap();
        assert_eq!(FacilitySet::from_bits(set.bits()), set);
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![Facility::Water, Facility::Dining]);
        assert_eq!(FacilitySet::from_keys(["water", "nope"]), Err("nope".to_string()));
        let need = FacilitySet::from_keys(["water"]).unwrap();
        assert!(set.contains_all(need));
        assert!(!need.contains_all(set));
    }

    #[test]
    fn audiences_round_trip() {
        let list = vec![Audience::Courier, Audience::Sanitation];
        assert_eq!(Audience::from_bits(Audience::to_bits(&list)), list);
        assert_eq!(HostType::parse("mall"), Some(HostType::Mall));
        assert_eq!(HostType::parse("castle"), None);
    }
}
