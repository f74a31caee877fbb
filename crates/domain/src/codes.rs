//! Census and Annex A codes a record may carry as optional fields (docs/RECORDS.md lists each
//! field and its codes), each a string checked against its closed list when parsed.
//!
//! Only the codes' spelling is checked here; what they mean to a return is the projections'
//! business.

use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

macro_rules! code_set {
    ($(#[$doc:meta])* $name:ident, $what:literal, [$(($code:literal, $label:literal)),+ $(,)?]) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Every code in the list, in the census's order.
            pub const ALL: &'static [&'static str] = &[$($code),+];

            /// Every code with its label as the census guide words it, in the census's order.
            pub const LABELS: &'static [(&'static str, &'static str)] = &[$(($code, $label)),+];

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

            /// The census's label of `code` ("White British" for `WBRI`); `None` for a code
            /// not in the list.
            pub fn label_of(code: &str) -> Option<&'static str> {
                Self::LABELS.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
            }

            /// This code's label.
            pub fn label(&self) -> &'static str {
                Self::label_of(&self.0).unwrap_or("")
            }
        }

        /// The closed list, written where the field is.
        impl JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({ "type": "string", "enum": Self::ALL })
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

// The labels are the DfE's, as the Children in Need census guide words them.

code_set!(
    /// Children in Need census ethnicity.
    Ethnicity, "ethnicity",
    [
        ("WBRI", "White British"),
        ("WIRI", "White Irish"),
        ("WIRT", "Traveller of Irish heritage"),
        ("WOTH", "Any other White background"),
        ("WROM", "Gypsy/Roma"),
        ("MWBC", "White and Black Caribbean"),
        ("MWBA", "White and Black African"),
        ("MWAS", "White and Asian"),
        ("MOTH", "Any other mixed background"),
        ("AIND", "Indian"),
        ("APKN", "Pakistani"),
        ("ABAN", "Bangladeshi"),
        ("AOTH", "Any other Asian background"),
        ("BCRB", "Black Caribbean"),
        ("BAFR", "Black African"),
        ("BOTH", "Any other Black background"),
        ("CHNE", "Chinese"),
        ("OOTH", "Any other ethnic group"),
        ("REFU", "Refused"),
        ("NOBT", "Information not yet obtained"),
    ]
);

code_set!(
    /// Children in Need census disability.
    Disability, "disability",
    [
        ("NONE", "No disability"),
        ("MOB", "Mobility"),
        ("HAND", "Hand function"),
        ("PC", "Personal care"),
        ("INC", "Incontinence"),
        ("COMM", "Communication"),
        ("LD", "Learning"),
        ("HEAR", "Hearing"),
        ("VIS", "Vision"),
        ("BEH", "Behaviour"),
        ("CON", "Consciousness"),
        ("AUT", "Autism or Asperger syndrome"),
        ("DDA", "Other disability"),
    ]
);

code_set!(
    /// Children in Need census referral source.
    ReferralSource, "referral source",
    [
        ("1A", "Individual: family member, relative or carer"),
        ("1B", "Individual: acquaintance"),
        ("1C", "Individual: self"),
        ("1D", "Individual: other"),
        ("2A", "Schools"),
        ("2B", "Education services"),
        ("3A", "Health: GP"),
        ("3B", "Health: health visitor"),
        ("3C", "Health: school nurse"),
        ("3D", "Health: other primary health services"),
        ("3E", "Health: A&E"),
        ("3F", "Health: other"),
        ("4", "Housing"),
        ("5A", "LA services: social care"),
        ("5B", "LA services: other internal"),
        ("5C", "LA services: external"),
        ("5D", "LA services: early help"),
        ("6", "Police"),
        ("7", "Other legal agency"),
        ("8", "Other"),
        ("9", "Anonymous"),
        ("10", "Unknown"),
    ]
);

code_set!(
    /// Children in Need census factors identified at the end of assessment. `21` is "no
    /// factors identified" and may only stand alone (a rule, checked with the record).
    AssessmentFactor, "assessment factor",
    [
        ("1A", "Alcohol misuse: the child"),
        ("1B", "Alcohol misuse: the parent or carer"),
        ("1C", "Alcohol misuse: another person in the household"),
        ("2A", "Drug misuse: the child"),
        ("2B", "Drug misuse: the parent or carer"),
        ("2C", "Drug misuse: another person in the household"),
        ("3A", "Domestic abuse: the child"),
        ("3B", "Domestic abuse: the parent or carer"),
        ("3C", "Domestic abuse: another person in the household"),
        ("4A", "Mental health: the child"),
        ("4B", "Mental health: the parent or carer"),
        ("4C", "Mental health: another person in the household"),
        ("5A", "Learning disability: the child"),
        ("5B", "Learning disability: the parent or carer"),
        ("5C", "Learning disability: another person in the household"),
        ("6A", "Physical disability or illness: the child"),
        ("6B", "Physical disability or illness: the parent or carer"),
        ("6C", "Physical disability or illness: another person in the household"),
        ("7A", "Young carer"),
        ("8B", "Privately fostered: overseas child who intends to return"),
        ("8C", "Privately fostered: overseas child who intends to stay"),
        ("8D", "Privately fostered: UK child in an educational placement"),
        ("8E", "Privately fostered: UK child, parents making alternative arrangements"),
        ("8F", "Privately fostered: other"),
        ("9A", "Unaccompanied asylum-seeking child"),
        ("10A", "Missing"),
        ("11A", "Child sexual exploitation"),
        ("12A", "Trafficking"),
        ("13A", "Gangs"),
        ("14A", "Socially unacceptable behaviour"),
        ("15A", "Self-harm"),
        ("16A", "Abuse or neglect: neglect"),
        ("17A", "Abuse or neglect: emotional abuse"),
        ("18A", "Abuse or neglect: physical abuse"),
        ("18B", "Abuse or neglect: physical abuse, adult on child"),
        ("18C", "Abuse or neglect: physical abuse, child on child"),
        ("19A", "Abuse or neglect: sexual abuse"),
        ("19B", "Abuse or neglect: sexual abuse, adult on child"),
        ("19C", "Abuse or neglect: sexual abuse, child on child"),
        ("20", "Female genital mutilation"),
        ("21", "No factors identified"),
        ("22A", "Faith or belief linked abuse"),
        ("23A", "Child criminal exploitation"),
        ("24A", "Other"),
    ]
);

code_set!(
    /// Children in Need census primary need.
    PrimaryNeed, "primary need",
    [
        ("N0", "Not stated"),
        ("N1", "Abuse or neglect"),
        ("N2", "Child's disability or illness"),
        ("N3", "Parental disability or illness"),
        ("N4", "Family in acute stress"),
        ("N5", "Family dysfunction"),
        ("N6", "Socially unacceptable behaviour"),
        ("N7", "Low income"),
        ("N8", "Absent parenting"),
        ("N9", "Cases other than children in need"),
    ]
);

code_set!(
    /// Children in Need census reason for closure.
    ClosureReason, "closure reason",
    [
        ("RC1", "Adopted"),
        ("RC2", "Died"),
        ("RC3", "Child arrangements order"),
        ("RC4", "Special guardianship order"),
        ("RC5", "Transferred to services of another local authority"),
        ("RC6", "Transferred to adult social care services"),
        ("RC7", "Services ceased for any other reason, including child no longer in need"),
        ("RC8", "Case closed after assessment, no further action"),
        ("RC9", "Case closed after assessment, referred to early help"),
    ]
);

code_set!(
    /// Children in Need census reason a UPN is unknown (`UPNunknown`).
    UpnUnknown, "UPN unknown reason",
    [
        ("UN1", "Child is aged under 6 years old and is not yet assigned a UPN"),
        ("UN2", "Child has never attended a school in England"),
        ("UN3", "Child is educated outside England"),
        ("UN4", "Child is newly arrived in England and not yet assigned a UPN"),
        ("UN5", "Sources collating UPNs reflect a discrepancy"),
        ("UN6", "Child is an unaccompanied asylum-seeking child"),
        ("UN7", "Referral with no further action"),
    ]
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

    #[test]
    fn every_code_has_a_label() {
        for (all, labels) in [
            (Ethnicity::ALL, Ethnicity::LABELS),
            (Disability::ALL, Disability::LABELS),
            (ReferralSource::ALL, ReferralSource::LABELS),
            (AssessmentFactor::ALL, AssessmentFactor::LABELS),
            (PrimaryNeed::ALL, PrimaryNeed::LABELS),
            (ClosureReason::ALL, ClosureReason::LABELS),
            (UpnUnknown::ALL, UpnUnknown::LABELS),
        ] {
            assert_eq!(all.len(), labels.len());
            assert!(labels.iter().all(|(_, l)| !l.is_empty()));
        }
        assert_eq!(Ethnicity::label_of("WBRI"), Some("White British"));
        assert_eq!(ReferralSource::new("2A").map(|c| c.label()), Ok("Schools"));
        assert_eq!(PrimaryNeed::label_of("N99"), None);
    }
}
