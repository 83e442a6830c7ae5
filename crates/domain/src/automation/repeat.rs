//! How operators say "repeat": every day, on chosen weekdays, or on a day of
//! the month, at a time, instead of typing cron. The schedule is still
//! stored as a cron expression (the engine and the API keep theirs); cron
//! the picker cannot express stays editable as text ("custom").

use serde::Serialize;

use super::cron::Cron;
use crate::error::{invalid, Invalid};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Repeat {
    /// `day`, `week`, `month` or `custom`
    pub every: &'static str,
    /// "HH:MM" local time
    pub time: String,
    /// Weekdays 1 (Monday) to 7 (Sunday), for `week`.
    pub weekdays: Vec<u32>,
    /// 1-28, for `month` (29-31 do not exist every month).
    pub day_of_month: u32,
    /// The raw expression, for `custom`.
    pub cron: String,
}

impl Repeat {
    /// What the picker shows for a stored expression.
    pub fn from_cron(expr: &str) -> Repeat {
        let custom = || Repeat {
            every: "custom",
            time: "09:00".into(),
            weekdays: vec![],
            day_of_month: 1,
            cron: expr.trim().to_string(),
        };
        let f: Vec<&str> = expr.split_whitespace().collect();
        let [min, hour, dom, month, dow] = f[..] else { return custom() };
        let (Ok(m), Ok(h)) = (min.parse::<u32>(), hour.parse::<u32>()) else { return custom() };
        if m > 59 || h > 23 || month != "*" {
            return custom();
        }
        let time = format!("{h:02}:{m:02}");
        let base = Repeat { every: "day", time, weekdays: vec![], day_of_month: 1, cron: String::new() };
        match (dom, dow) {
            ("*", "*") => base,
            ("*", days) => {
                let mut weekdays = Vec::new();
                for d in days.split(',') {
                    match d.parse::<u32>() {
                        Ok(0 | 7) => weekdays.push(7),
                        Ok(d @ 1..=6) => weekdays.push(d),
                        _ => return custom(),
                    }
                }
                weekdays.sort_unstable();
                weekdays.dedup();
                Repeat { every: "week", weekdays, ..base }
            }
            (d, "*") => match d.parse::<u32>() {
                Ok(d @ 1..=28) => Repeat { every: "month", day_of_month: d, ..base },
                _ => custom(),
            },
            _ => custom(),
        }
    }

    /// The cron expression for what was picked; `field` names the form field
    /// errors belong to.
    pub fn to_cron(&self, field: &'static str) -> Invalid<String> {
        if self.every == "custom" {
            Cron::parse(&self.cron).map_err(|e| invalid(field, e.code, e.message))?;
            return Ok(self.cron.split_whitespace().collect::<Vec<_>>().join(" "));
        }
        let (h, m) = self
            .time
            .split_once(':')
            .and_then(|(h, m)| Some((h.trim().parse::<u32>().ok()?, m.trim().parse::<u32>().ok()?)))
            .filter(|(h, m)| *h < 24 && *m < 60)
            .ok_or_else(|| invalid(field, "invalid_time", "choose a time of day (HH:MM)"))?;
        match self.every {
            "day" => Ok(format!("{m} {h} * * *")),
            "week" if self.weekdays.is_empty() => Err(invalid(field, "required", "choose at least one weekday")),
            "week" => {
                if self.weekdays.iter().any(|d| !(1..=7).contains(d)) {
                    return Err(invalid(field, "invalid_choice", "weekdays are 1 (Monday) to 7 (Sunday)"));
                }
                let days: Vec<String> = self.weekdays.iter().map(|d| (d % 7).to_string()).collect();
                Ok(format!("{m} {h} * * {}", days.join(",")))
            }
            "month" if (1..=28).contains(&self.day_of_month) => Ok(format!("{m} {h} {} * *", self.day_of_month)),
            "month" => Err(invalid(field, "out_of_range", "the day of the month is 1 to 28")),
            _ => Err(invalid(field, "invalid_choice", "repeat every day, week or month, or give a cron expression")),
        }
    }
}

/// `every` from a form value (unknown values are refused by `to_cron`).
pub fn every(raw: &str) -> &'static str {
    match raw.trim() {
        "day" => "day",
        "week" => "week",
        "month" => "month",
        "custom" => "custom",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(every: &'static str, time: &str, weekdays: &[u32], dom: u32) -> Repeat {
        Repeat { every, time: time.into(), weekdays: weekdays.to_vec(), day_of_month: dom, cron: String::new() }
    }

    #[test]
    fn picks_become_cron_and_back() {
        for (r, cron) in [
            (pick("day", "09:00", &[], 1), "0 9 * * *"),
            (pick("week", "20:30", &[5], 1), "30 20 * * 5"),
            (pick("week", "07:05", &[1, 3, 7], 1), "5 7 * * 1,3,0"),
            (pick("month", "08:00", &[], 15), "0 8 15 * *"),
        ] {
            assert_eq!(r.to_cron("repeat").unwrap(), cron);
            Cron::parse(cron).expect("valid cron");
            assert_eq!(Repeat::from_cron(cron), r, "{cron} reads back as picked");
        }
    }

    #[test]
    fn what_the_picker_cannot_say_stays_custom() {
        for cron in ["*/15 * * * *", "0 9 1 1 *", "0 9 * * 1-5", "0 9 31 * *", "0 9 1 * 1", "nonsense"] {
            let r = Repeat::from_cron(cron);
            assert_eq!((r.every, r.cron.as_str()), ("custom", cron));
        }
        let r = Repeat { every: "custom", cron: "0  9 * * 1-5".into(), ..pick("custom", "", &[], 1) };
        assert_eq!(r.to_cron("repeat").unwrap(), "0 9 * * 1-5");
    }

    #[test]
    fn bad_picks_name_the_field() {
        let e = pick("week", "09:00", &[], 1).to_cron("repeat").unwrap_err();
        assert_eq!((e.field, e.code), ("repeat", "required"));
        assert_eq!(pick("day", "25:00", &[], 1).to_cron("repeat").unwrap_err().code, "invalid_time");
        assert_eq!(pick("month", "09:00", &[], 30).to_cron("repeat").unwrap_err().code, "out_of_range");
        let bad = Repeat { cron: "61 * * * *".into(), ..pick("custom", "", &[], 1) };
        assert_eq!(bad.to_cron("repeat").unwrap_err().field, "repeat");
        assert_eq!(pick("", "09:00", &[], 1).to_cron("repeat").unwrap_err().code, "invalid_choice");
    }
}
