//! Census and Annex A codes a record may carry as optional fields (docs/RECORDS.md lists each
//! field and its codes), each a string checked against its closed list when parsed.
//!
//! Only the codes' spelling is checked here; what they mean to a return is the projections'
//! business.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! code_set {
    ($(#[$doc:meta])* $name:ident, $what:literal, [$($code:literal),+ $(,)?]) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Every code in the list, in the census's order.
            pub const ALL: &'static [&'static str] = &[$($code),+];

            pub fn new(code: &str) -> Result<$name, String> {
                if Self::ALL.contains(&code) {
                    Ok($name(code.to_owned()))
                } else {
                    Err(format!(
                        "`{code}` is not a census {} code; expected one of {}",
                        $what,
                        Self::ALL.join(", ")
                    ))
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                $name::new(&s)
            }
        }

        impl From<$name> for String {
            fn from(c: $name) -> String {
                c.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

code_set!(
    /// Children in Need census ethnicity.
    Ethnicity, "ethnicity",
    ["WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN",
     "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT"]
);

code_set!(
    /// Children in Need census disability.
    Disability, "disability",
    ["NONE", "MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS", "BEH", "CON", "AUT", "DDA"]
);

code_set!(
    /// Children in Need census referral source.
    ReferralSource, "referral source",
    ["1A", "1B", "1C", "1D", "2A", "2B", "3A", "3B", "3C", "3D", "3E", "3F", "4", "5A", "5B",
     "5C", "5D", "6", "7", "8", "9", "10"]
);

code_set!(
    /// Children in Need census factors identified at the end of assessment. `21` is "no
    /// factors identified" and may only stand alone (a rule, checked with the record).
    AssessmentFactor, "assessment factor",
    ["1A", "1B", "1C", "2A", "2B", "2C", "3A", "3B", "3C", "4A", "4B", "4C", "5A", "5B", "5C",
     "6A", "6B", "6C", "7A", "8B", "8C", "8D", "8E", "8F", "9A", "10A", "11A", "12A", "13A",
     "14A", "15A", "16A", "17A", "18A", "18B", "18C", "19A", "19B", "19C", "20", "21", "22A",
     "23A", "24A"]
);

code_set!(
    /// Children in Need census primary need.
    PrimaryNeed, "primary need",
    ["N0", "N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9"]
);

code_set!(
    /// Children in Need census reason for closure.
    ClosureReason, "closure reason",
    ["RC1", "RC2", "RC3", "RC4", "RC5", "RC6", "RC7", "RC8", "RC9"]
);

impl AssessmentFactor {
    /// "No factors identified".
    pub const NO_FACTORS: &'static str = "21";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_outside_the_list_are_refused_with_the_list() {
        assert!(ReferralSource::new("6").is_ok());
        let e = ReferralSource::new("11").unwrap_err();
        assert!(e.contains("1A, 1B"), "{e}");
    }
}
