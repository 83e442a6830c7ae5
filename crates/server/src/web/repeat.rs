//! The repeat picker's form fields (every / time / weekdays / day of month /
//! custom cron) ↔ a cron expression; used by the calendar and the automation
//! editor (`repeat_picker` in macros.html draws it).

use yaji_app::AppError;
use yaji_domain::automation::repeat::{self, Repeat};

use super::form::{field, Form};
use super::i18n;

/// Puts a stored expression into the picker's fields under `prefix`.
pub(super) fn fill(form: &mut Form, prefix: &str, cron: Option<&str>) {
    let Some(cron) = cron.filter(|c| !c.trim().is_empty()) else {
        form.insert(format!("{prefix}every"), String::new());
        form.insert(format!("{prefix}time"), "09:00".into());
        form.insert(format!("{prefix}dom"), "1".into());
        return;
    };
    let r = Repeat::from_cron(cron);
    form.insert(format!("{prefix}every"), r.every.into());
    form.insert(format!("{prefix}time"), r.time);
    form.insert(format!("{prefix}dom"), r.day_of_month.to_string());
    form.insert(format!("{prefix}cron"), r.cron);
    for d in r.weekdays {
        form.insert(format!("{prefix}wd_{d}"), "on".into());
    }
}

/// The cron expression picked, `None` for "does not repeat" (an empty choice).
pub(super) fn read(f: &Form, prefix: &str, error_field: &'static str) -> Result<Option<String>, AppError> {
    let every = field(f, &format!("{prefix}every"));
    if every.trim().is_empty() {
        return Ok(None);
    }
    let r = Repeat {
        every: repeat::every(every),
        time: field(f, &format!("{prefix}time")).to_string(),
        weekdays: (1..=7).filter(|d| field(f, &format!("{prefix}wd_{d}")) == "on").collect(),
        day_of_month: field(f, &format!("{prefix}dom")).trim().parse().unwrap_or(0),
        cron: field(f, &format!("{prefix}cron")).to_string(),
    };
    Ok(Some(r.to_cron(error_field)?))
}

/// A schedule in plain words: "Every week on Mon, Wed at 09:00" / "每周 周一、周三 09:00".
pub fn describe(lang: &str, cron: &str) -> String {
    let r = Repeat::from_cron(cron);
    let t = |k: &str| i18n::t(lang, k);
    let sep = if lang == "en" { ", " } else { "、" };
    match r.every {
        "day" => format!("{} {} {}", t("repeat.every_day"), t("repeat.at"), r.time),
        "week" => {
            let days: Vec<String> = r.weekdays.iter().map(|d| t(&format!("repeat.wd_{d}"))).collect();
            format!("{} {} {} {}", t("repeat.every_week"), days.join(sep), t("repeat.at"), r.time)
        }
        "month" => {
            let day = t("repeat.nth_day").replace("{n}", &r.day_of_month.to_string());
            format!("{} {} {} {}", t("repeat.every_month"), day, t("repeat.at"), r.time)
        }
        _ => format!("cron {}", r.cron),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn schedules_read_in_both_languages() {
        assert_eq!(super::describe("en", "30 20 * * 1,3"), "Every week Mon, Wed at 20:30");
        assert_eq!(super::describe("zh-CN", "0 9 15 * *"), "每月 15 日 时间 09:00");
        assert_eq!(super::describe("en", "*/5 * * * *"), "cron */5 * * * *");
    }
}
