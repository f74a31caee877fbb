//! What the records say: worries, strengths, facts and opinions, the child's words, services
//! and census codes, grouped by the theme of a child's difficulties so one child's records
//! tell one story.
//!
//! Written for this generator in plain practice language, kept apart from fact and opinion as
//! good recording does. `{name}` stands for the child's first name. The census codes are the
//! ones we read as fitting the theme (primary need `N1` abuse or neglect, `N4` family in acute
//! stress, ...; factors `3A` domestic abuse, `4B` a parent's mental health, `16A` neglect,
//! `24A` criminal exploitation, ...).
//!
//! This module decides nothing about rates; it only supplies words.

use rand::Rng;

use crate::rates::{Need, chance, one};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Theme {
    Neglect,
    DomesticAbuse,
    ParentalMentalHealth,
    SubstanceMisuse,
    PhysicalHarm,
    SexualHarm,
    Wellbeing,
    Attendance,
    Poverty,
    Exploitation,
    PreBirth,
}

/// The words of one theme.
pub(crate) struct Words {
    pub concerns: &'static [&'static str],
    pub worries: &'static [&'static str],
    pub working_well: &'static [&'static str],
    pub needs: &'static [&'static str],
    pub facts: &'static [&'static str],
    pub opinions: &'static [&'static str],
    pub views: &'static [&'static str],
    pub behaviour: &'static [&'static str],
    pub services: &'static [&'static str],
    pub primary_need: &'static str,
    pub category: &'static str,
    pub factors: &'static [&'static str],
}

impl Theme {
    /// A theme that fits the child's need and age.
    pub(crate) fn choose(rng: &mut impl Rng, need: Need, age: i32, exploitation: bool) -> Theme {
        use Theme::*;
        if age < 0 {
            return PreBirth;
        }
        if exploitation {
            return Exploitation;
        }
        let options: &[Theme] = match (need, age) {
            (Need::Universal, a) if a >= 5 => &[Attendance, Poverty, Wellbeing, Neglect],
            (Need::Universal, _) => &[Poverty, ParentalMentalHealth, Neglect],
            (Need::EarlyHelp, a) if a >= 5 => &[
                Attendance,
                Poverty,
                Wellbeing,
                ParentalMentalHealth,
                Neglect,
                DomesticAbuse,
            ],
            (Need::EarlyHelp, _) => &[Poverty, ParentalMentalHealth, Neglect, DomesticAbuse],
            (Need::Targeted | Need::Section17, a) if a >= 11 => &[
                Wellbeing,
                DomesticAbuse,
                SubstanceMisuse,
                Neglect,
                ParentalMentalHealth,
            ],
            (Need::Targeted | Need::Section17, _) => &[
                Neglect,
                DomesticAbuse,
                SubstanceMisuse,
                ParentalMentalHealth,
            ],
            (Need::Protection, a) if a >= 5 => &[
                PhysicalHarm,
                SexualHarm,
                DomesticAbuse,
                Neglect,
                SubstanceMisuse,
            ],
            (Need::Protection, _) => &[PhysicalHarm, Neglect, DomesticAbuse, SubstanceMisuse],
        };
        *one(rng, options).unwrap_or(&Neglect)
    }

    pub(crate) fn words(self) -> &'static Words {
        match self {
            Theme::Neglect => &NEGLECT,
            Theme::DomesticAbuse => &DOMESTIC_ABUSE,
            Theme::ParentalMentalHealth => &MENTAL_HEALTH,
            Theme::SubstanceMisuse => &SUBSTANCES,
            Theme::PhysicalHarm => &PHYSICAL,
            Theme::SexualHarm => &SEXUAL,
            Theme::Wellbeing => &WELLBEING,
            Theme::Attendance => &ATTENDANCE,
            Theme::Poverty => &POVERTY,
            Theme::Exploitation => &EXPLOITATION,
            Theme::PreBirth => &PRE_BIRTH,
        }
    }
}

/// `n` different lines of `list` (fewer if it is shorter), with `{name}` filled in.
pub(crate) fn lines(rng: &mut impl Rng, list: &[&str], n: usize, name: &str) -> Vec<String> {
    let mut idx: Vec<usize> = (0..list.len()).collect();
    let mut out = Vec::new();
    while out.len() < n && !idx.is_empty() {
        let i = idx.swap_remove(rng.random_range(0..idx.len()));
        if let Some(s) = list.get(i) {
            out.push(s.replace("{name}", name));
        }
    }
    out
}

/// One line of `list` with `{name}` filled in.
pub(crate) fn line(rng: &mut impl Rng, list: &[&str], name: &str) -> String {
    one(rng, list).map_or_else(|| "Not recorded.".to_owned(), |s| s.replace("{name}", name))
}

/// Between `min` and `max` different lines of `list`.
pub(crate) fn some_lines(
    rng: &mut impl Rng,
    list: &[&str],
    min: usize,
    max: usize,
    name: &str,
) -> Vec<String> {
    let n = rng.random_range(min..=max.max(min));
    lines(rng, list, n, name)
}

/// The child's voice in the words of a child of this age, or what was seen of a baby.
pub(crate) fn voice_views(
    rng: &mut impl Rng,
    words: &Words,
    age: i32,
    name: &str,
) -> Option<String> {
    if age < 3 {
        return None;
    }
    if chance(rng, 0.15) {
        return Some(format!(
            "{name} said they did not want to talk about home today."
        ));
    }
    Some(line(rng, words.views, name))
}

pub(crate) const BABY_BEHAVIOUR: &[&str] = &[
    "{name} was settled and fed well during the visit, and turned to mum for comfort.",
    "{name} was quiet and watchful, and did not look to the adults for comfort.",
    "{name} was clean and appropriately dressed; nappy changed during the visit.",
    "{name} had a red nappy rash and was unsettled for most of the visit.",
];

pub(crate) const NOT_CAPTURED: &[&str] = &[
    "{name} was at school at the time of the meeting.",
    "{name} was asleep throughout the visit.",
    "{name} declined to speak to the worker on this occasion.",
    "Parent asked that {name} was not spoken to until the police had visited.",
];

pub(crate) const SCALING_QUESTIONS: &[(&str, &str, &str)] = &[
    (
        "On a scale of 0 to 10, how worried are we about {name}'s safety?",
        "{name} will certainly be harmed if nothing changes",
        "{name} is safe enough for us to close the case",
    ),
    (
        "How confident are we that {name}'s needs are met at home?",
        "{name}'s needs are not being met at all",
        "{name}'s needs are met every day",
    ),
];

static NEGLECT: Words = Words {
    concerns: &[
        "{name} regularly arrives hungry and in unwashed clothes.",
        "Home conditions described as very poor; no working cooker and dog mess on the floors.",
        "{name} has missed health appointments and immunisations.",
        "Head lice untreated for several months and {name} is being teased.",
    ],
    worries: &[
        "{name} has been coming to school hungry and asking other children for food.",
        "The house is cold and there is often no food in the cupboards at the end of the week.",
        "Dental pain has been left untreated for months.",
        "{name} is often left to look after younger siblings in the evening.",
    ],
    working_well: &[
        "Mum is open with us and agreed to the home visit straight away.",
        "{name} has a warm relationship with grandma, who lives nearby.",
        "{name}'s attendance has improved since breakfast club started.",
    ],
    needs: &[
        "A warm, clean home with food in it every day.",
        "{name}'s health appointments attended and dental treatment completed.",
        "Help for mum with routines and the family budget.",
    ],
    facts: &[
        "Attendance this term is 81%.",
        "{name} asked for breakfast on 8 of the last 10 mornings.",
        "Two missed appointments at the dentist since June.",
        "Home visit: no food in the fridge apart from milk.",
    ],
    opinions: &[
        "Mum appears overwhelmed rather than uncaring.",
        "Class teacher believes things are worse in the school holidays.",
    ],
    views: &[
        "\"Sometimes there's nothing for tea so I just go to bed.\"",
        "\"I like breakfast club. I want to go every day.\"",
        "\"Mum is tired a lot. I help with my little brother.\"",
    ],
    behaviour: &[
        "Ate two bowls of cereal quickly and asked for more.",
        "Tired and withdrawn in lessons; brighter after lunch.",
    ],
    services: &[
        "Breakfast club place",
        "Family support worker home visits",
        "Healthy Child Programme review",
        "Holiday activities and food programme",
    ],
    primary_need: "N1",
    category: "neglect",
    factors: &["16A", "4B"],
};

static DOMESTIC_ABUSE: Words = Words {
    concerns: &[
        "Police attended a domestic incident at the home; {name} was present.",
        "Mum disclosed that her partner controls the money and has pushed her.",
        "Third domestic incident notification in four months.",
    ],
    worries: &[
        "{name} has seen arguments and fighting at home and is frightened of mum's partner.",
        "Mum's partner has broken bail conditions and returned to the house.",
        "{name} is anxious about going home at the end of the day.",
    ],
    working_well: &[
        "Mum has called the police herself when she felt unsafe.",
        "{name} talks openly to the class teacher about worries.",
        "Maternal grandparents offer a safe place to stay.",
    ],
    needs: &[
        "Mum and {name} safe at home, with a safety plan they both understand.",
        "Specialist support for mum from the domestic abuse service.",
        "Somewhere {name} can talk about what has happened.",
    ],
    facts: &[
        "Police log: incident at 23:10, {name} in the house, partner arrested.",
        "DASH risk assessment scored medium risk.",
        "Partner currently on police bail with a condition not to attend the address.",
    ],
    opinions: &[
        "Mum minimises the incidents and says it was 'just a row'.",
        "Police officer felt the children were frightened.",
    ],
    views: &[
        "\"I put my headphones on when they shout.\"",
        "\"I don't want him to come back.\"",
        "\"I worry about Mum when I'm at school.\"",
    ],
    behaviour: &[
        "Jumped when a door banged and asked if mum's partner was coming.",
        "Clingy with mum and watchful of the adults in the room.",
    ],
    services: &[
        "Domestic abuse outreach support",
        "Children's group for young people affected by domestic abuse",
        "Freedom Programme for mum",
    ],
    primary_need: "N1",
    category: "emotional_abuse",
    factors: &["3A", "3B"],
};

static MENTAL_HEALTH: Words = Words {
    concerns: &[
        "Mum's mental health has deteriorated and she has told the GP she cannot cope.",
        "Dad was admitted to hospital under the Mental Health Act; {name} is being cared for by a neighbour.",
        "Health visitor concerned about low mood after the birth and the baby's weight.",
    ],
    worries: &[
        "Mum spends most days in bed and {name} is getting themselves ready for school.",
        "{name} is caring for mum more than a child should.",
        "Nobody else in the family knows how unwell mum is.",
    ],
    working_well: &[
        "Mum is engaging with her GP and the talking therapies service.",
        "Aunt visits most days and helps with the school run.",
        "{name} is doing well at school and has good friends.",
    ],
    needs: &[
        "Mum well supported by adult mental health services.",
        "{name} assessed as a young carer and given a break.",
        "A plan for who looks after {name} if mum is unwell again.",
    ],
    facts: &[
        "Mum prescribed antidepressants in the spring.",
        "{name} late to school 14 times this half term.",
        "Adult mental health crisis team involved twice this year.",
    ],
    opinions: &[
        "The GP believes mum will accept help if it is offered at home.",
        "School feels {name} is hiding how much they do at home.",
    ],
    views: &[
        "\"I make my own breakfast because Mum is sleeping.\"",
        "\"I don't mind helping but I'm tired.\"",
        "\"I want Mum to get better.\"",
    ],
    behaviour: &[
        "Quiet, polite and keen to get home at the end of the day.",
        "Tearful when asked how mum was.",
    ],
    services: &[
        "Young carers support",
        "Family support worker home visits",
        "Perinatal mental health support for mum",
    ],
    primary_need: "N3",
    category: "neglect",
    factors: &["4B", "7A"],
};

static SUBSTANCES: Words = Words {
    concerns: &[
        "Dad seen collecting {name} from school under the influence of alcohol.",
        "Drug paraphernalia found within reach of {name} during a police search.",
        "Parents' alcohol use is affecting their care of {name}.",
    ],
    worries: &[
        "Needles and foil found in the kitchen within reach of the children.",
        "Dad is drinking from the morning and has fallen asleep while caring for {name}.",
        "Adults who use drugs are visiting the house late at night.",
    ],
    working_well: &[
        "Dad has started working with the drug and alcohol service.",
        "Mum keeps the children's routines going on her own.",
        "{name} has a good relationship with their football coach.",
    ],
    needs: &[
        "A sober adult caring for {name} at all times.",
        "Parents engaged in treatment and testing.",
        "Safe storage of any medication and no drugs in the house.",
    ],
    facts: &[
        "Police search: cannabis and drug paraphernalia found in the living room.",
        "Dad breathalysed at the school gate: over the limit.",
        "Three missed appointments with the substance misuse service.",
    ],
    opinions: &[
        "Mum feels dad's drinking is getting worse since he lost his job.",
        "The drug worker thinks dad is motivated to change.",
    ],
    views: &[
        "\"Dad gets grumpy when he hasn't had his drink.\"",
        "\"There are people at our house at night and I can't sleep.\"",
    ],
    behaviour: &[
        "Very tired in class and fell asleep after lunch.",
        "Quiet and watchful during the visit.",
    ],
    services: &[
        "Drug and alcohol service for dad",
        "Family support worker home visits",
        "Parenting programme",
    ],
    primary_need: "N1",
    category: "neglect",
    factors: &["2B", "1B"],
};

static PHYSICAL: Words = Words {
    concerns: &[
        "Bruising to {name}'s face and upper arm with no clear explanation.",
        "{name} says dad hit them with a belt.",
        "Fracture in a non-mobile baby; explanation inconsistent with the injury.",
    ],
    worries: &[
        "The explanations for {name}'s injuries have changed each time they were asked.",
        "{name} is frightened of what will happen when they get home.",
        "Previous bruising noticed by school last term.",
    ],
    working_well: &[
        "Mum brought {name} to hospital straight away.",
        "{name} told a trusted teacher what happened.",
        "Grandparents are able to care for {name} while enquiries are made.",
    ],
    needs: &[
        "{name} medically examined and kept safe while the police investigate.",
        "A clear explanation for the injuries.",
        "Parents working with professionals to keep {name} safe.",
    ],
    facts: &[
        "Body map: three fingertip bruises on the upper left arm.",
        "Skeletal survey ordered by the paediatrician.",
        "{name} disclosed to the class teacher at 09:15.",
    ],
    opinions: &[
        "Paediatrician's opinion: the injury is likely to be non-accidental.",
        "Dad says {name} fell from the climbing frame.",
    ],
    views: &[
        "\"Dad got angry and hit me. Please don't tell him I told.\"",
        "\"I fell over. I'm not allowed to say anything else.\"",
    ],
    behaviour: &[
        "Flinched when an adult raised their hand to wave.",
        "Reluctant to change for PE.",
    ],
    services: &[
        "Child protection medical",
        "Parenting programme",
        "Therapeutic support",
    ],
    primary_need: "N1",
    category: "physical_abuse",
    factors: &["18A", "3A"],
};

static SEXUAL: Words = Words {
    concerns: &[
        "{name} has made a direct allegation of sexual abuse by a family friend.",
        "Sexualised behaviour well beyond {name}'s age, seen at school.",
    ],
    worries: &[
        "{name} has told their teacher that an adult touched them.",
        "The adult named still has contact with the family.",
    ],
    working_well: &[
        "Mum believes {name} and has stopped all contact with the adult named.",
        "{name} has a trusted adult at school.",
    ],
    needs: &[
        "{name} protected from any contact with the adult named.",
        "An achieving best evidence interview and therapeutic support.",
    ],
    facts: &[
        "Disclosure to the class teacher, recorded verbatim at the time.",
        "The adult named is known to the police.",
    ],
    opinions: &["Teacher felt {name} was relieved after telling."],
    views: &[
        "\"I didn't like it when he came round. I told my teacher.\"",
        "\"I want it to stop.\"",
    ],
    behaviour: &["Quiet and tearful after the disclosure; asked to stay with the teacher."],
    services: &["Sexual abuse therapeutic service", "Independent advocacy"],
    primary_need: "N1",
    category: "sexual_abuse",
    factors: &["19A"],
};

static WELLBEING: Words = Words {
    concerns: &[
        "{name} has been self-harming and told a friend they want to die.",
        "Low mood, withdrawal and not eating, noticed over the last month.",
        "Severe anxiety; {name} has not attended school for three weeks.",
    ],
    worries: &[
        "{name} has cuts on their arms and has stopped seeing friends.",
        "{name} says nobody at home listens to them.",
        "Online bullying has made {name} afraid to go to school.",
    ],
    working_well: &[
        "{name} trusts the school nurse and has kept every appointment.",
        "Parents are worried and want help for {name}.",
        "{name} enjoys art club and still goes every week.",
    ],
    needs: &[
        "{name} seen by mental health support and safe from self-harm.",
        "A plan agreed with {name} for school.",
        "Parents supported to understand {name}'s anxiety.",
    ],
    facts: &[
        "Attendance 62% this term.",
        "Seen at A&E after an overdose of paracetamol in March.",
        "CAMHS referral accepted; waiting time 12 weeks.",
    ],
    opinions: &[
        "School nurse believes {name} is at risk of further self-harm.",
        "Dad thinks it is a phase.",
    ],
    views: &[
        "\"I just want people to stop talking about me.\"",
        "\"It helps to talk to the nurse.\"",
        "\"I don't want to go back to that school.\"",
    ],
    behaviour: &["Avoided eye contact and wore long sleeves in warm weather."],
    services: &[
        "School counselling",
        "Mental health support team in schools",
        "CAMHS assessment",
    ],
    primary_need: "N4",
    category: "emotional_abuse",
    factors: &["15A", "4A"],
};

static ATTENDANCE: Words = Words {
    concerns: &[
        "{name}'s attendance has fallen to 70% and parents are not responding to letters.",
        "Repeated exclusions for behaviour; family struggling to manage {name} at home.",
    ],
    worries: &[
        "{name} is missing a day or two every week and falling behind.",
        "{name}'s behaviour at home has become very hard for parents to manage.",
    ],
    working_well: &[
        "Parents came to the attendance meeting and want things to change.",
        "{name} is doing well in the subjects they enjoy.",
    ],
    needs: &[
        "{name} in school every day.",
        "Parents given support with routines and boundaries.",
    ],
    facts: &[
        "Attendance this year: 71%.",
        "Two fixed-term exclusions this term.",
    ],
    opinions: &["Head of year feels {name} is bored rather than unhappy."],
    views: &[
        "\"School is boring and the teachers pick on me.\"",
        "\"I like PE. I'd go in more if there was more PE.\"",
    ],
    behaviour: &["Engaged well when talking about football; fidgety otherwise."],
    services: &["Attendance support", "Parenting programme", "Mentoring"],
    primary_need: "N6",
    category: "neglect",
    factors: &["14A"],
};

static POVERTY: Words = Words {
    concerns: &[
        "Family facing eviction and rent arrears; {name}'s school uniform does not fit.",
        "Parents struggling with debt; the family has been using the food bank.",
    ],
    worries: &[
        "The family may lose their home in the next few weeks.",
        "There is often not enough money for food at the end of the month.",
    ],
    working_well: &[
        "Parents are open about money being tight and asked for help themselves.",
        "{name} is happy, settled and doing well at school.",
    ],
    needs: &[
        "Help with benefits, debts and the rent.",
        "Food in the house every day.",
    ],
    facts: &[
        "Notice seeking possession served last month.",
        "Three food bank vouchers issued since September.",
    ],
    opinions: &["The housing officer thinks the arrears can be managed with a plan."],
    views: &[
        "\"I don't want to move schools.\"",
        "\"Mum says we might have to move.\"",
    ],
    behaviour: &["Cheerful and chatty; showed the worker their drawings."],
    services: &[
        "Welfare rights advice",
        "Food bank referral",
        "Housing options support",
    ],
    primary_need: "N7",
    category: "neglect",
    factors: &["21"],
};

static EXPLOITATION: Words = Words {
    concerns: &[
        "{name} has been reported missing four times this month and found in another town.",
        "{name} has new phones, clothes and cash that the family cannot explain.",
        "Police believe {name} is being used to carry drugs on a county line.",
        "{name} is in contact with older men online who send gifts.",
    ],
    worries: &[
        "{name} goes missing overnight and comes back exhausted and won't say where they were.",
        "{name} is associating with adults known to the police for drug supply.",
        "{name} has been seen getting into cars with older males.",
    ],
    working_well: &[
        "Mum reports every missing episode straight away and is desperate for help.",
        "{name} trusts their youth worker and texts her when they feel unsafe.",
        "{name} has been going to the boxing club on Tuesdays.",
    ],
    needs: &[
        "{name} safe, not going missing and away from the adults exploiting them.",
        "The adults exploiting {name} disrupted by the police.",
        "Someone {name} trusts to talk to after every missing episode.",
    ],
    facts: &[
        "Missing episodes: 4 in the last 30 days; return interviews offered twice.",
        "Stopped by British Transport Police in London with £600 in cash.",
        "Phone seized: messages from numbers linked to a drug line.",
    ],
    opinions: &[
        "Some professionals describe {name}'s behaviour as a lifestyle choice.",
        "The youth worker believes {name} is frightened of the people involved.",
    ],
    views: &[
        "\"They're my mates. They look after me.\"",
        "\"I owe them money. I can't just stop.\"",
        "\"Nobody can help anyway.\"",
    ],
    behaviour: &["Tired and guarded; checked their phone throughout the conversation."],
    services: &[
        "Specialist exploitation worker",
        "Youth service mentoring",
        "Missing return interviews",
    ],
    primary_need: "N6",
    category: "multiple",
    factors: &["24A", "10A", "13A"],
};

static PRE_BIRTH: Words = Words {
    concerns: &[
        "Pregnant mother with a history of older children removed from her care.",
        "Expectant parents both using drugs; late booking at 28 weeks.",
        "Domestic abuse disclosed at the antenatal booking appointment.",
    ],
    worries: &[
        "Mum has had two older children removed and has not had help since.",
        "The baby will be born into a home where there is domestic abuse.",
        "Late booking and missed antenatal appointments.",
    ],
    working_well: &[
        "Mum has attended every antenatal appointment since booking.",
        "Maternal grandmother is supportive and wants to help.",
    ],
    needs: &[
        "A pre-birth assessment and a plan in place before the baby is born.",
        "Mum supported by the specialist midwife.",
    ],
    facts: &[
        "Booked at 28 weeks; estimated due date recorded.",
        "Two older siblings adopted in 2022.",
    ],
    opinions: &["The midwife feels mum is motivated to keep this baby safe."],
    views: &["Unborn child: mum's wishes recorded instead."],
    behaviour: &["Unborn child."],
    services: &["Specialist midwife", "Pre-birth parenting course"],
    primary_need: "N1",
    category: "neglect",
    factors: &["3B", "2B"],
};

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn every_theme_has_words_and_valid_census_codes() {
        use Theme::*;
        for t in [
            Neglect,
            DomesticAbuse,
            ParentalMentalHealth,
            SubstanceMisuse,
            PhysicalHarm,
            SexualHarm,
            Wellbeing,
            Attendance,
            Poverty,
            Exploitation,
            PreBirth,
        ] {
            let w = t.words();
            assert!(!w.concerns.is_empty() && !w.worries.is_empty() && !w.services.is_empty());
            assert!(domain::codes::PrimaryNeed::new(w.primary_need).is_ok());
            for f in w.factors {
                assert!(domain::codes::AssessmentFactor::new(f).is_ok(), "{f}");
            }
        }
    }

    #[test]
    fn lines_fill_in_the_name_and_do_not_repeat() {
        let mut rng = StdRng::seed_from_u64(1);
        let l = lines(&mut rng, NEGLECT.worries, 10, "Ava");
        assert_eq!(l.len(), NEGLECT.worries.len());
        assert!(l.iter().all(|s| !s.contains("{name}")));
        let mut sorted = l.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), l.len());
    }
}
