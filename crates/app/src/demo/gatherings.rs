//! The tea house's venue and gatherings: a venue with three rooms (one open
//! to visitors, one that staff approve), bookings over the coming days (one
//! already a gathering), past gatherings with attendance, no-shows and
//! ratings, and upcoming ones: a full fireside evening with a waitlist, a
//! weekly reading series and an online talk.

use chrono::Duration;
use yaji_domain::gatherings::{EventInput, Question, QuestionKind, Repeat};
use yaji_domain::venues::{BookingRule, RoomInput, Who};

use super::rng::Rng;
use crate::accounts::Viewer;
use crate::gatherings::{RegisterInput, StaffAction};
use crate::venues::{BookingInput, VenueInput};
use crate::{App, AppResult};

/// `owner` runs `slug`; `people` are members (user ids) who come to gatherings.
pub(super) async fn seed(app: &App, slug: &str, owner: Viewer, people: &[i64]) -> AppResult<()> {
    let c = app.community(Some(owner), slug).await?;
    let tz = c.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
    let today = yaji_domain::time::local(crate::now(), tz).date();
    let at = |days: i64, hm: &str| format!("{}T{hm}", today + Duration::days(days));
    let venue = app
        .create_venue(
            owner,
            slug,
            VenueInput {
                name: "雅集茶空间 · 静安".into(),
                address: Some("上海市静安区愚园路 1088 弄 7 号".into()),
                description: Some("老洋房里的茶空间：一楼茶室、二楼书房和一个小庭院。".into()),
            },
        )
        .await?;
    let members_rule =
        |days, approval| BookingRule { who: Who::Members, days_ahead: days, hours_per_week: Some(6), approval };
    let tea_room = app
        .create_room(
            owner,
            venue.id,
            RoomInput {
                name: "一楼茶室".into(),
                capacity: Some(12),
                description: Some("一张长案、十二把椅子，适合茶会和小型读书会。".into()),
                buffer_minutes: Some(30),
                cancel_hours: Some(24),
                rules: Some(vec![members_rule(30, false)]),
                ..Default::default()
            },
        )
        .await?;
    let study = app
        .create_room(
            owner,
            venue.id,
            RoomInput {
                name: "二楼书房".into(),
                capacity: Some(24),
                hours: Some(vec!["10:00-21:00".into()]),
                slot_minutes: Some(60),
                rules: Some(vec![members_rule(14, true)]),
                ..Default::default()
            },
        )
        .await?;
    let garden = app
        .create_room(
            owner,
            venue.id,
            RoomInput {
                name: "庭院".into(),
                capacity: Some(30),
                hours: Some(vec!["09:00-18:00".into()]),
                rules: Some(vec![BookingRule {
                    who: Who::Anyone,
                    days_ahead: 21,
                    hours_per_week: Some(4),
                    approval: false,
                }]),
                ..Default::default()
            },
        )
        .await?;
    let v = |i: usize| Viewer { id: people[i % people.len()], site_admin: false };
    // Bookings over the coming days: members' own use, one waiting for approval.
    let book = |room: i64, who: Viewer, day: i64, from: &str, to: &str, purpose: &str| {
        let input = BookingInput {
            starts_at: at(day, from),
            ends_at: at(day, to),
            purpose: Some(purpose.into()),
            repeat_weeks: None,
        };
        async move { app.book_room(who, room, input).await }
    };
    book(tea_room.id, v(0), 1, "14:00", "16:00", "古琴小课").await?;
    book(tea_room.id, v(1), 2, "10:00", "11:30", "读书会筹备").await?;
    book(garden.id, v(2), 3, "09:00", "10:30", "晨间太极").await?;
    book(study.id, v(3), 4, "14:00", "16:00", "书法练习").await?;
    let lecture = book(study.id, owner, 5, "19:00", "21:00", "宋画里的茶事").await?;
    app.booking_to_event(owner, lecture[0].id, Some("讲座：宋画里的茶事")).await?;

    // Past gatherings, with who came.
    let mut rng = Rng(0x9a7e_2026);
    for (k, (title, ago)) in
        [("春茶品鉴会", 24i64), ("围炉夜读《茶经》第一讲", 17), ("手作茶器体验", 10)].into_iter().enumerate()
    {
        let input = EventInput {
            title: title.into(),
            description: Some("往期雅集。Past gathering.".into()),
            starts_at: at(1, "19:00"),
            ends_at: at(1, "21:00"),
            capacity: Some(12),
            room_id: Some(tea_room.id),
            location: Some("雅集茶空间 · 一楼茶室".into()),
            ..Default::default()
        };
        let e = app.create_event(owner, slug, input).await?;
        let n = (10 + k).min(people.len());
        for i in 0..n {
            app.register_for_event(v(i + k), e.id, RegisterInput::default()).await?;
        }
        for r in app.registrations(owner, e.id).await? {
            if r.status == "registered" && !rng.chance(0.2) {
                app.act_on_registration(owner, e.id, r.id, StaffAction::Attended).await?;
            }
        }
        app.backdate_event(e.id, (ago + 1) * yaji_domain::DAY_MS).await?;
        for (i, r) in app.registrations(owner, e.id).await?.into_iter().enumerate() {
            if r.status == "attended" && i % 2 == 0 {
                let who = Viewer { id: r.user_id, site_admin: false };
                app.give_feedback(who, e.id, 4 + (i % 3 == 0) as i64, "").await?;
            }
        }
    }

    // Upcoming: a full fireside evening with a waitlist.
    let fireside = EventInput {
        title: "围炉夜话 · 冬日煮茶".into(),
        description: Some(
            "冬夜围炉，煮一壶老白茶，聊聊这一年读过的书。\n\n- 18:30 签到\n- 19:00 煮茶与分享\n- 21:00 散场\n\n\
             A winter evening around the stove: aged white tea and the books of the year."
                .into(),
        ),
        starts_at: at(3, "19:00"),
        ends_at: at(3, "21:00"),
        capacity: Some(12),
        room_id: Some(tea_room.id),
        location: Some("雅集茶空间 · 一楼茶室".into()),
        max_guests: Some(1),
        questions: vec![
            Question { label: "怎么称呼你".into(), kind: QuestionKind::Text, options: vec![], required: true },
            Question {
                label: "想喝哪种茶".into(),
                kind: QuestionKind::Single,
                options: vec!["老白茶".into(), "普洱".into(), "红茶".into()],
                required: false,
            },
        ],
        show_attendees: true,
        self_checkin: true,
        ..Default::default()
    };
    let e = app.create_event(owner, slug, fireside).await?;
    // Its page was opened through the WeChat group and a poster; some saved it.
    for i in 0..24.min(people.len()) {
        let via = if i % 3 == 0 { "poster" } else { "wechat" };
        app.count_visit(Some(v(i)), None, e.id, Some(via)).await?;
    }
    for i in 0..12 {
        app.count_visit(None, Some(&format!("demo-visitor-cookie-{i:04}")), e.id, Some("poster")).await?;
    }
    for i in 18..22.min(people.len()) {
        app.bookmark_event(v(i), e.id, true).await?;
    }
    for i in 0..16.min(people.len()) {
        let answers =
            [("0".to_string(), serde_json::json!(format!("茶友{}", i + 1))), ("1".into(), serde_json::json!("老白茶"))];
        let via = Some(if i % 3 == 0 { "poster" } else { "wechat" }.to_string());
        let input = RegisterInput { answers: answers.into_iter().collect(), guests: Some((i % 5 == 0) as i64), via };
        app.register_for_event(v(i + 3), e.id, input).await?;
    }
    let host = app.registrations(owner, e.id).await?.into_iter().next().map(|r| r.username);
    if let Some(host) = host {
        app.set_event_staff(owner, e.id, &host, Some("host")).await?;
    }

    // A weekly reading series and an online talk.
    let series = EventInput {
        title: "周三读书会".into(),
        description: Some("每周三晚读一章，轮流领读。Every Wednesday, one chapter.".into()),
        starts_at: at(next_wednesday(today) as i64, "19:30"),
        ends_at: at(next_wednesday(today) as i64, "21:00"),
        capacity: Some(20),
        room_id: Some(study.id),
        location: Some("雅集茶空间 · 二楼书房".into()),
        repeat: Some(Repeat { every: "weekly".into(), count: Some(4), until: None, except: vec![] }),
        ..Default::default()
    };
    let s = app.create_event(owner, slug, series).await?;
    for i in 0..6.min(people.len()) {
        app.register_for_event(v(i + 20), s.id, RegisterInput::default()).await?;
    }
    let online = EventInput {
        title: "线上分享：如何办一场小而美的读书会".into(),
        starts_at: at(8, "20:00"),
        ends_at: at(8, "21:00"),
        online_url: Some("https://meeting.example.com/yaji-reading".into()),
        audience: Some("members".into()),
        ..Default::default()
    };
    app.create_event(owner, slug, online).await?;
    // The community's formats, one already used again, and a member's proposal waiting for staff.
    let tasting = app
        .create_template(
            owner,
            slug,
            yaji_domain::gatherings::TemplateInput {
                title: "品茶会 · 一席六泡".into(),
                description: Some(
                    "一款茶冲六泡，每泡之间分享一句感受。\n\nOne tea, six infusions, a word between each.".into(),
                ),
                materials: Some("盖碗 6 套、公道杯、品茗杯每人一只、茶样 50 克".into()),
                setup: Some("长案居中，主泡位朝窗；椅子两侧各六把".into()),
                capacity: Some(12),
                duration_minutes: Some(90),
                room_id: Some(tea_room.id),
                ..Default::default()
            },
        )
        .await?;
    app.event_from_template(owner, tasting.id, &at(10, "15:00")).await?;
    let proposal = EventInput {
        title: "提议：周末城市徒步 · 寻访老茶馆".into(),
        description: Some("走一条静安到黄浦的老茶馆路线，边走边喝。".into()),
        starts_at: at(12, "09:00"),
        ends_at: at(12, "12:00"),
        capacity: Some(15),
        ..Default::default()
    };
    app.propose_event(v(5), slug, proposal).await?;
    // Something happening soon, so the door can be tried right away.
    let now = crate::now();
    let half_hour = 30 * yaji_domain::MINUTE_MS;
    let start = (now / half_hour + 2) * half_hour;
    let soon = EventInput {
        title: "午后茶叙 · 新人见面".into(),
        description: Some("新朋友来认识一下大家：喝茶、聊天、参观场地。Newcomers' tea: meet the circle.".into()),
        starts_at: crate::rfc3339(start),
        ends_at: crate::rfc3339(start + 4 * half_hour),
        capacity: Some(20),
        room_id: Some(garden.id),
        location: Some("雅集茶空间 · 庭院".into()),
        self_checkin: true,
        ..Default::default()
    };
    let e = app.create_event(owner, slug, soon).await?;
    for i in 0..8.min(people.len()) {
        app.register_for_event(v(i + 30), e.id, RegisterInput::default()).await?;
    }
    Ok(())
}

/// Days from `today` to the next Wednesday (at least one).
fn next_wednesday(today: chrono::NaiveDate) -> u32 {
    use chrono::Datelike;
    match (2 + 7 - today.weekday().num_days_from_monday()) % 7 {
        0 => 7,
        d => d,
    }
}
