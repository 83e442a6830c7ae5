#!/usr/bin/env python3
"""Writes data/faq/faq.jsonl (an FAQ of a paid reading-and-tea club, 25 entries,
Chinese and English phrasings) and data/faq/eval.jsonl: questions written for Yaji,
worded differently from the FAQ's own phrasings, each labeled with the entry it
should match or "none" (each paraphrase appears bare and with a filler opening
such as "请问" or "Quick question:"). Run: python3 scripts/gen-faq-eval.py
"""
import json, random

R = random.Random(20261122)
FAQ = [
  ("fee", ["会员费多少钱", "年费是多少", "入会怎么收费", "how much is the membership fee", "what does joining cost"], "年费 365 元，含全年线上共读和 12 次线下茶会。 / 365 CNY a year."),
  ("refund", ["可以退款吗", "怎么申请退费", "can I get a refund", "how do I ask for my money back"], "加入 7 天内可全额退款，在设置页申请。"),
  ("event_signup", ["线下活动怎么报名", "如何参加茶会", "how do I sign up for a meetup", "how to register for an event"], "在活动帖下点「报名」。"),
  ("checkin", ["每日打卡怎么打", "漏打卡可以补吗", "how does the daily check-in work", "can I make up a missed check-in"], "在打卡页点「今日打卡」，可补卡 2 次/月。"),
  ("rules", ["群规在哪里看", "社群有哪些规定", "where are the community rules", "what are the group rules"], "见社群首页「群规」标签。"),
  ("invite", ["怎么邀请朋友加入", "邀请链接在哪", "how do I invite a friend", "where do I find an invite link"], "社群首页右侧「创建邀请链接」。"),
  ("profile", ["怎么修改昵称", "头像怎么换", "how do I change my display name", "how to update my avatar"], "在「个人资料」里修改。"),
  ("password", ["忘记密码怎么办", "密码怎么重置", "I forgot my password", "how to reset my password"], "联系管理员用 yaji admin reset-password 重置。"),
  ("book_list", ["这个月读什么书", "本月共读书单", "what are we reading this month", "where is the reading list"], "本月共读《茶经》。"),
  ("schedule", ["读书会几点开始", "每周分享是什么时间", "when does the book club meet", "what time is the weekly session"], "每周三晚 8 点。"),
  ("replay", ["直播有回放吗", "录像在哪里看", "is there a recording of the live session", "where can I watch the replay"], "精华区「回放」话题。"),
  ("invoice", ["能开发票吗", "怎么开发票", "can I get an invoice", "do you issue receipts"], "私信管理员提供抬头。"),
  ("essence", ["精华帖是什么", "帖子怎么加精", "what is an essence post", "how do posts get featured"], "管理员会把优质帖设为精华。"),
  ("points", ["积分有什么用", "积分怎么获得", "what are points for", "how do I earn points and level up"], "发帖、打卡得积分，可兑换茶礼。"),
  ("leave", ["怎么退出社群", "如何退群", "how do I leave the community", "how to quit the group"], "社群首页底部「退出社群」。"),
  ("language", ["怎么切换英文界面", "界面可以改成中文吗", "how do I switch the site to English", "change interface language"], "页面右上角切换语言。"),
  ("contact_admin", ["怎么联系管理员", "有问题找谁反馈", "how do I contact an admin", "who do I ask for help"], "在成员页找「管理员」角色的成员。"),
  ("topics", ["发帖怎么选话题", "话题标签怎么加", "how do I add a topic to my post", "how to tag a post with a topic"], "发帖时选择话题。"),
  ("ads_policy", ["可以发广告吗", "能推广自己的产品吗", "can I advertise here", "am I allowed to promote my business"], "不可以，广告会被自动隐藏。"),
  ("venue", ["活动地点在哪", "茶室地址是什么", "where is the venue", "what is the address of the tea room"], "静安区某某路 88 号二楼。"),
  ("parking", ["有停车位吗", "开车去方便停车吗", "is there parking", "where can I park my car"], "楼下有收费停车场。"),
  ("kids", ["可以带小孩来吗", "孩子能参加活动吗", "can I bring my kids", "are children welcome at events"], "欢迎 6 岁以上的孩子。"),
  ("tiers", ["会员等级有什么区别", "高级会员有什么权益", "what are the membership tiers", "what do premium members get"], "高级会员多 4 次私享茶会。"),
  ("notifications", ["怎么关闭通知", "消息提醒太多了怎么办", "how do I turn off notifications", "too many notifications"], "在个人设置里关闭。"),
  ("delete_post", ["怎么删除帖子", "发错的评论能删吗", "how do I delete my post", "can I remove my comment"], "帖子页点「删除」。"),
]

# Paraphrases, worded differently from the FAQ phrasings above.
PARA = {
  "fee": ["一年要交多少钱", "加入要付费吗，价格多少", "会费贵不贵", "入会价格", "Is this club free or paid?", "What's the annual price?", "how much does membership cost per year"],
  "refund": ["不想参加了能退钱吗", "付款后后悔了怎么办，能退吗", "退款流程是怎样的", "Is a refund possible after paying?", "I want my money back, is that possible", "refund policy?"],
  "event_signup": ["茶会在哪里报名", "想参加下次线下活动，怎么报名", "活动报名入口在哪", "How can I join the next meetup?", "where do I register for the tea gathering", "event registration?"],
  "checkin": ["打卡要怎么操作", "昨天忘记打卡了还能补吗", "补卡规则是什么", "How do check-ins work here?", "I missed yesterday's check-in, can I fix it?", "daily check in rules"],
  "rules": ["社群规则在哪里", "群里有什么规矩", "想看看群规", "Where can I read the rules?", "what rules does this group have", "community guidelines?"],
  "invite": ["我想拉朋友进来，怎么操作", "怎么生成邀请链接", "朋友也想加入，怎么邀请", "How can I invite my friends?", "how to create an invite link", "can I bring a friend into the group"],
  "profile": ["昵称能改吗", "想换个头像", "怎么改名字", "Can I change my nickname?", "how do I change my profile picture", "update my display name"],
  "password": ["密码忘了登不上去", "怎么找回密码", "重置密码的方法", "I can't remember my password", "password reset please", "forgot password, what now"],
  "book_list": ["本月共读哪本书", "现在在读什么书", "书单在哪里看", "Which book is this month's pick?", "what's on the reading list", "current book?"],
  "schedule": ["每周几点分享", "读书会是星期几", "分享会什么时候开始", "What time do we meet each week?", "when is the weekly book club", "meeting time for the reading session"],
  "replay": ["错过了直播，哪里看录像", "有没有回放", "直播录像在哪", "I missed the live session, is there a replay?", "where are the recordings", "can I rewatch the session"],
  "invoice": ["付款后能开发票吗", "需要报销，怎么开票", "发票怎么申请", "Can you send me an invoice?", "I need a receipt for my company", "invoice for the membership fee"],
  "essence": ["什么样的帖子能成为精华", "精华是怎么评的", "怎样才能加精", "How does a post become featured?", "what does essence mean here", "how are essence posts chosen"],
  "points": ["积分能干什么", "怎么攒积分", "等级怎么提升", "What can I do with points?", "how to get more points", "how do levels work here"],
  "leave": ["我想退群", "怎么离开这个社群", "退出的按钮在哪", "How can I leave this group?", "I want to quit the community", "where is the leave button"],
  "language": ["怎么换成英文", "网站能显示中文吗", "语言在哪里切换", "Can I use the site in English?", "how to change the language to Chinese", "switch language"],
  "contact_admin": ["管理员是谁，怎么找", "遇到问题要找谁", "怎么反馈问题给管理员", "Who are the admins and how do I reach them?", "I need help from a moderator", "how to report a problem to the admins"],
  "topics": ["发帖时怎么加话题", "帖子能打标签吗", "话题怎么选", "How do I pick a topic when posting?", "can I tag my post", "adding tags to posts"],
  "ads_policy": ["能发自己店铺的推广吗", "允许打广告吗", "可以宣传我的课程吗", "Is advertising allowed?", "can I post about my shop", "may I promote my products here"],
  "venue": ["茶会在什么地方", "线下场地地址", "活动在哪里举办", "Where are the meetups held?", "what's the tea room's address", "location of the events"],
  "parking": ["开车过去能停车吗", "附近有停车场吗", "停车怎么办", "Can I park near the venue?", "is parking available", "where to park for the meetup"],
  "kids": ["能带孩子一起来吗", "小朋友可以参加茶会吗", "带娃可以吗", "Are kids allowed?", "can my children come along", "is it ok to bring my son"],
  "tiers": ["高级会员和普通会员有什么不同", "会员分几个等级", "升级会员有什么好处", "What's the difference between member levels?", "what do premium members get extra", "membership levels explained"],
  "notifications": ["通知太多了能关掉吗", "怎么不接收提醒", "消息推送怎么关闭", "How do I stop notifications?", "turn off email alerts", "I get too many notifications"],
  "delete_post": ["发错帖子了怎么删", "评论可以删除吗", "帖子删除按钮在哪", "How can I delete a post?", "remove my comment", "I posted by mistake, how to delete"],
}
PREFIX_ZH = ["", "", "请问", "想问一下，", "大家好，", "新人求助："]
PREFIX_EN = ["", "", "Hi, ", "Quick question: ", "Hello! "]

NONE = [
  "周末有人一起去爬山吗？", "今天的天气真好啊，大家在干嘛？", "你们最喜欢哪本小说？", "推荐一家好吃的火锅店吧", "有没有人在杭州？",
  "最近在学摄影，有什么建议吗？", "大家平时几点睡觉？", "谁看了昨晚的球赛？", "这首歌叫什么名字？", "猫咪不吃饭怎么办？",
  "Python 和 Rust 哪个好学？", "北京今天下雪了吗？", "有人养多肉吗？", "怎么做红烧肉？", "推荐一部好看的电影",
  "明天要面试，好紧张，有什么经验吗？", "你们用什么笔记软件？", "上海哪里的樱花好看？", "跑步膝盖疼怎么办？", "有人会弹吉他吗？",
  "Anyone up for hiking this weekend?", "What's your favourite novel?", "Can someone recommend a good sushi place?", "Is anyone in Berlin?",
  "Any tips for learning photography?", "What time do you usually go to bed?", "Did anyone watch the game last night?", "What's the name of this song?",
  "My cat won't eat, what should I do?", "Is Rust harder than Python?", "How do you make good coffee at home?", "What's a good movie for tonight?",
  "How do I fix a flat bicycle tire?", "Which laptop should I buy for programming?", "What's the best way to learn Japanese?", "How do I grow basil indoors?",
  "有人知道怎么做酸奶吗？", "孩子不爱写作业怎么办？", "手机电池不耐用怎么办？", "去云南旅游有什么推荐？", "怎么泡好一壶普洱？",
  "绿茶和红茶有什么区别？", "哪个牌子的茶具好用？", "这本书的作者还写过什么？", "大家新年有什么计划？", "怎么克服拖延症？",
  "How do I stop procrastinating?", "What's the difference between green and black tea?", "Any good podcasts about history?", "How long should I steep oolong tea?",
  "Where can I buy a good teapot?", "What are you reading for fun?", "How do I write a better essay?", "Any advice for a first marathon?",
  "今年流行什么颜色？", "怎么提高英语口语？", "有推荐的博物馆吗？", "大家怎么安排周末？", "冬天怎么保湿？", "哪里可以学书法？",
  "What's the weather like in Shanghai?", "Which museum should I visit in Paris?", "How do I improve my handwriting?", "Good recipes for dinner?",
  "有没有好用的记账方法？", "怎么选跑鞋？", "什么时候去日本看红叶最好？", "How do I choose running shoes?", "When is the best time to see autumn leaves in Japan?",
  "茶叶怎么保存才不会坏？", "咖啡和茶哪个更提神？", "How should I store tea leaves?", "Is coffee or tea better in the morning?", "怎么养成早起的习惯？",
  "How do I build a habit of waking up early?", "有人去过敦煌吗？", "Has anyone been to Iceland?", "怎么拍好夜景？", "How do I take better night photos?",
]

with open("data/faq/faq.jsonl", "w", encoding="utf-8") as f:
    for id_, qs, ans in FAQ:
        f.write(json.dumps({"id": id_, "questions": qs, "answer": ans}, ensure_ascii=False) + "\n")
out = []
for id_, _, _ in FAQ:
    for p in PARA[id_]:
        zh = any("\u4e00" <= c <= "\u9fff" for c in p)
        # Each paraphrase twice: bare and with a filler opening, as people ask.
        pre = R.choice([x for x in (PREFIX_ZH if zh else PREFIX_EN) if x])
        out.append({"text": p, "expect": id_})
        out.append({"text": pre + p, "expect": id_})
for t in NONE:
    out.append({"text": t, "expect": None})
R.shuffle(out)
with open("data/faq/eval.jsonl", "w", encoding="utf-8") as f:
    for i, q in enumerate(out):
        f.write(json.dumps({"id": f"q{i+1:03d}", **q}, ensure_ascii=False) + "\n")
print(len(out), "questions;", sum(1 for q in out if q["expect"] is None), "with no answer")
