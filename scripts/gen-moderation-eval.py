#!/usr/bin/env python3
"""Writes data/moderation/eval.jsonl: Yaji's labeled moderation evaluation set.

Every message was written for Yaji (templates and sentences below, combined with a
fixed seed), in Chinese and English: clean chat, ads, obfuscated ads, insults,
floods, banned topics, and false-positive traps (allowed links, a phone number an
admin asked for, words that contain insults, festival red envelopes, dates and
prices). A block of hard cases is included that the rules are known to miss or
over-flag, so the figures are not flattered. Labels: clean, ad, abuse, flood,
banned_word. Run: python3 scripts/gen-moderation-eval.py
"""
import json, random

R = random.Random(20261122)
out = []

def add(label, text, **kw):
    out.append(dict(id=f"m{len(out)+1:04d}", label=label, text=text, author_age_days=kw.pop("age", 120), **kw))

# ---------- clean chat ----------
CLEAN_ZH = [
    "今晚的读书会几点开始？", "我刚读完《百年孤独》，结尾太震撼了", "周六早上七点奥森跑步，有人一起吗", "谢谢群主分享的资料，很有帮助",
    "这张照片用的是什么镜头？", "新人报到，我是做产品经理的，来自杭州", "请问下次线下活动在哪里举行", "这周的打卡我补上了",
    "同意楼上的观点，坚持最重要", "咖啡豆推荐哪个产区的？", "今天的分享嘉宾讲得真好", "有没有人用过这个笔记方法",
    "晚安各位，明天见", "我觉得第三章可以再讨论一下", "活动报名截止到周五", "大家周末愉快！", "这个问题我也遇到过，重启就好了",
    "刚入门摄影，求推荐入门相机", "打卡第 21 天，继续加油", "谁有上次讲座的录音", "投票选一下下期主题吧", "我们小组的作业已经提交",
    "第一次参加，有点紧张", "这个观点很有启发", "请问群规在哪里看", "昨天的直播错过了，有回放吗", "祝大家中秋快乐",
    "今天跑了 10 公里，配速 5 分 30", "求推荐适合初学者的 Python 书", "我在上海，周末可以线下见", "感谢分享，收藏了",
    "这家书店环境很好，推荐", "明天下雨，活动改到室内", "我来总结一下今天的讨论", "欢迎新朋友！", "这期精华帖写得太好了",
    "学习打卡：今天背了 50 个单词", "有人知道这个报错怎么解决吗", "下周二晚上八点线上分享", "我也想加入读书小组",
]
CLEAN_EN = [
    "What time does the book club start tonight?", "Just finished reading Dune, loved the ending", "Anyone up for a run on Saturday morning?",
    "Thanks for sharing the slides, super helpful", "Which lens did you use for this photo?", "Hi all, I'm new here, a designer from Berlin",
    "Where is the next meetup?", "I agree, consistency matters most", "Any coffee bean recommendations?", "Great talk today, thank you!",
    "Good night everyone", "I think chapter three deserves another look", "Registration closes on Friday", "Have a great weekend!",
    "I had the same issue, restarting fixed it", "Day 21 of the challenge, still going", "Does anyone have the recording of last week's talk?",
    "Let's vote on the next topic", "First time here, a bit nervous", "Where can I read the community rules?", "Happy holidays, everyone",
    "Can someone recommend a beginner Python book?", "Saved this thread, thanks", "The bookstore downtown is lovely", "Let me summarize today's discussion",
    "Welcome to the new members!", "Is the recording available?", "I'll bring snacks to the meetup", "That's a really good point",
    "See you all next Tuesday at 8pm",
]
for t in CLEAN_ZH: add("clean", t)
for t in CLEAN_EN: add("clean", t)

# combinations, for volume and variety
DAY_ZH = ["周一", "周三", "周五晚上", "周六上午", "周日下午", "明天", "下周"]
PLACE_ZH = ["图书馆", "咖啡馆", "奥森公园", "线上会议室", "社区活动室", "书店二楼"]
ACT_ZH = ["读书分享", "夜跑", "摄影外拍", "写作练习", "英语角", "桌游", "茶话会", "代码评审"]
Q_ZH = ["{d}{p}有{a}，有人一起吗？", "{a}改到{d}了，地点还是{p}", "{d}的{a}我报名了", "想在{p}组织一次{a}，大家觉得呢", "{a}的笔记整理好了，放在群文件"]
DAY_EN = ["Monday", "Wednesday", "Friday night", "Saturday morning", "Sunday afternoon", "tomorrow", "next week"]
PLACE_EN = ["the library", "the cafe", "the park", "our online room", "the community hall", "the bookstore"]
ACT_EN = ["book club", "evening run", "photo walk", "writing sprint", "language exchange", "board games", "code review"]
Q_EN = ["{a} at {p} on {d}, who's in?", "{a} moved to {d}, same place: {p}", "Signed up for {a} on {d}", "Thinking of hosting {a} at {p}, thoughts?", "Notes from {a} are in the shared folder"]
seen = set()
while len(seen) < 150:
    if R.random() < 0.55:
        t = R.choice(Q_ZH).format(d=R.choice(DAY_ZH), p=R.choice(PLACE_ZH), a=R.choice(ACT_ZH))
    else:
        t = R.choice(Q_EN).format(d=R.choice(DAY_EN), p=R.choice(PLACE_EN), a=R.choice(ACT_EN))
        t = t[0].upper() + t[1:]
    if t not in seen:
        seen.add(t)
        add("clean", t)

# ---------- false-positive traps (clean) ----------
TRAPS = [
    ("文档在这里 https://docs.yaji.example/guide/start", {}),
    ("代码放在 https://github.com/yaji/yaji 了，欢迎提 issue", {}),
    ("维基百科的解释： https://zh.wikipedia.org/wiki/社群", {}),
    ("See https://github.com/rust-lang/rust/issues/1 for details", {}),
    ("The guide is at docs.yaji.example/faq", {}),
    ("我的电话 13812345678，麻烦活动负责人联系我", {"reply_to_staff": True}),
    ("报名信息：张三 13912345678", {"reply_to_staff": True}),
    ("My number is +1 415 555 0100 for the venue booking", {"reply_to_staff": True}),
    ("微信号 zhangsan_2024，报名用", {"reply_to_staff": True}),
    ("春节快乐，群里发红包啦", {}), ("新年快乐！红包拿到了，谢谢群主", {}), ("Happy new year! Got the red envelope, thanks",{}),
    ("This is a classic example of good design", {}), ("The assessment is due on Monday", {}), ("I grew up in Scunthorpe", {}),
    ("Use the bass clef for this part", {}), ("The SBC board arrived today", {}), ("Let's pass the class assignment together", {}),
    ("活动时间 2026-11-22 13:00-18:00", {}), ("订单号 2026112212345678 已发货", {}), ("价格 1380 元一年，含 12 次活动", {}),
    ("第 12 期共 345 人参加", {}), ("我用微信支付可以吗", {}), ("我一般用微信和家人聊天", {}), ("qq音乐上有这首歌", {}),
    ("I use node.js and read config.toml", {}), ("Version 1.2.3 fixed it, e.g. the crash on start", {}), ("Send feedback to team@yaji.example", {}),
    ("哈哈哈哈哈哈哈，笑死我了", {}), ("666666", {}), ("👍👍👍", {}), ("@小王 @小李 周末见", {}), ("太棒了！！！！", {}),
    ("这个代理服务器怎么配置？", {}), ("免费的讲座大家可以来听", {}), ("二维码在海报上，扫码签到", {}), ("私聊我一下活动细节吧", {}),
    ("这个赌约我认输了", {}), ("The scan of the document is attached", {}), ("Add me to the reading group please", {}),
    ("QQ 群已经解散了，以后都在这里", {}), ("wx 和 qq 都不怎么用了", {}), ("Our free workshop is on Sunday", {}),
    ("杀青了！电影终于拍完", {}), ("这个 bug 简直要命", {}), ("Kill the process and restart it", {}), ("That plot twist killed me 😂", {}),
]
for t, kw in TRAPS: add("clean", t, **kw)

# ---------- ads ----------
CONTACT = ["加微信 {id}", "vx：{id}", "V信 {id}", "加V {id}", "微信号是 {id}", "有意加qq {qq}", "扣扣 {qq}", "tg @{id}", "telegram: {id}", "WeChat: {id}"]
HOOK_ZH = ["兼职日结，", "刷单返利，", "躺赚项目，", "招代理，", "免费领取资料，", "月入过万不是梦，", "网赚项目稳赚，", "代开发票，", "扫码领红包，", "日赚500，"]
HOOK_EN = ["Part time job, daily pay! ", "Work from home and earn money! ", "Guaranteed profit, ", "Crypto signals group, ", "Investment opportunity! ", "Make money fast: ", "Free gift for you, "]
SPAM_URL = ["https://zhuanqian.vip/a", "www.dailypay.top", "http://bit-profit.xyz/join", "easy-money.cc/r/88", "https://haoli.shop/?ref=9"]
INVITE = ["https://t.me/+Xyz123", "discord.gg/freecash", "https://chat.whatsapp.com/AbC", "https://qm.qq.com/q/abc", "https://discord.com/invite/vip"]
PHONE = ["13812345678", "139 8765 4321", "+86 158-0000-1234", "186 1234 9876"]

def rid(): return R.choice(["abc", "money", "vip", "hao", "lucky", "zq"]) + str(R.randint(100, 99999))
def rqq(): return str(R.randint(10000, 999999999))

for i in range(40):
    c = R.choice(CONTACT).format(id=rid(), qq=rqq())
    add("ad", R.choice(HOOK_ZH) + c)
for i in range(20):
    add("ad", R.choice(HOOK_EN) + R.choice(["DM me", "add me on WhatsApp", "click the link"]) + " " + R.choice(SPAM_URL))
for i in range(15):
    add("ad", R.choice(["进群领福利 ", "Join our group ", "加群一起赚钱 ", "免费课程群 "]) + R.choice(INVITE))
for i in range(15):
    add("ad", R.choice(["有需要的联系 ", "咨询电话 ", "Call now ", "办理请打 "]) + R.choice(PHONE) + R.choice(["", "，名额有限", " 兼职日结"]))
for i in range(10):
    add("ad", R.choice(["看这里 ", "优惠活动 ", "Check this out "]) + R.choice(SPAM_URL))

# obfuscated ads
def spaced(s): return " ".join(s)
def zw(s): return "\u200b".join(s)
def emo(s): return "🌹".join(s)
def full(s): return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)
TRAD = str.maketrans("号码扫红职网点击链领单钱赚稳万", "號碼掃紅職網點擊鏈領單錢賺穩萬")
OBF = [spaced, zw, emo, full, lambda s: s.translate(TRAD), lambda s: s.replace("微信", "薇信"), lambda s: s.replace("微信", "威信")]
BASE_OBF = ["加微信{id}兼职日结", "扫码领红包加微信{id}", "刷单返利加qq{qq}", "vx{id}躺赚", "网赚项目稳赚加微信{id}", "work from home dm me {id}", "part time job whatsapp me {id}"]
for i in range(60):
    add("ad", R.choice(OBF)(R.choice(BASE_OBF).format(id=rid(), qq=rqq())))

# ---------- abuse ----------
INS_ZH = ["傻逼", "脑残", "弱智", "智障", "白痴", "废物", "贱人", "狗东西", "王八蛋", "人渣", "蠢货"]
INS_EN = ["idiot", "moron", "asshole", "bitch", "dumbass", "scumbag", "retard"]
for i in range(35):
    add("abuse", R.choice(["你就是个{w}", "{w}，闭嘴吧", "楼上{w}", "群主是{w}吗", "你这个{w}，懂什么", "真是{w}一个"]).format(w=R.choice(INS_ZH)))
for i in range(20):
    add("abuse", R.choice(["you are an {w}", "shut up, {w}", "what a {w}", "only an {w} would say that"]).format(w=R.choice(INS_EN)))
for i in range(15):
    w = R.choice(INS_ZH + INS_EN)
    add("abuse", R.choice(["你就是个", "you ", "楼上 "]) + R.choice([spaced, zw, emo, full])(w))
for t in ["fuck you", "去死吧", "f u c k  o f f", "kill yourself", "STFU", "nmsl", "你妈的", "操你", "滚蛋，别在这里说话", "草泥马"]:
    add("abuse", t)

# ---------- banned topics ----------
BAN_ZH = ["有人玩网赌吗，带你赢", "出售冰毒，量大从优", "百家乐稳赢技巧", "约炮私聊", "代孕服务了解一下", "办证刻章", "六合彩内部资料", "裸聊一对一", "洗钱渠道有需要吗", "信用卡套现"]
BAN_EN = ["online gambling tips, guaranteed wins", "buy cocaine here", "escort service available tonight", "cheap viagra", "fake id for sale", "buy followers 1000 for $5", "best casino bonus"]
for t in BAN_ZH + BAN_EN: add("banned_word", t)
for i in range(30):
    t = R.choice(["赌博", "毒品", "色情", "博彩", "援交", "porn", "casino", "heroin"])
    add("banned_word", R.choice(["{w}网站推荐", "有没有{w}资源", "专业{w}，安全可靠", "looking for {w}", "{w} deals tonight"]).format(w=R.choice([t, spaced(t), zw(t)])))

# ---------- flood ----------
EMO = "😀😂🤣😍🔥👍🎉💯🙏😎"
for i in range(15): add("flood", "".join(R.choice(EMO) for _ in range(R.randint(10, 30))))
for i in range(12): add("flood", R.choice("啊哈顶6a!？111") * R.randint(25, 60))
for i in range(12): add("flood", " ".join("@user%d" % R.randint(1, 999) for _ in range(R.randint(7, 15))) + R.choice([" 快来", " look", ""]))
for i in range(11): add("flood", R.choice(["加油", "顶起", "up", "冲冲", "哈哈"]) * R.randint(15, 25))

# ---------- newcomers (trap for new members sharing links is an ad-class hold) ----------
for t in ["看看我的博客 https://myblog.example.net", "new here, my site: portfolio.dev", "我的作品集 https://zuopin.top"]:
    add("ad", t, age=1)

# ---------- hard cases: written without tuning the rules to them ----------
HARD = [
    ("ad", "加我 jia wei xin, wxid 在主页"), ("ad", "一三八一二三四五六七八 找我"), ("ad", "V❤：lucky_dog 带你赚"), ("ad", "主页有惊喜，懂的来"),
    ("ad", "私信我拿资料，名额有限"), ("ad", "佳薇 abc8888 有好货"), ("ad", "Follow my IG for free money"), ("ad", "Check my bio for the link 💰"),
    ("ad", "Earn 300 USD daily from your phone"), ("ad", "low cost loans, message me"), ("ad", "点我头像看更多优惠"), ("ad", "咸鱼搜同名店铺"),
    ("abuse", "你怎么这么蠢"), ("abuse", "垃圾群主"), ("abuse", "you're pathetic"), ("abuse", "nobody asked, loser"), ("abuse", "滚出去"),
    ("abuse", "你脑子进水了吧"), ("abuse", "what an absolute clown"), ("abuse", "2b 青年"), ("abuse", "沙雕"), ("abuse", "go to hell"),
    ("banned_word", "有没有 bo cai 渠道"), ("banned_word", "da ma 出售"), ("banned_word", "g@mbling tips"),
    ("flood", "顶"), ("flood", "来了来了来了来了来了来了"), ("flood", "🔥🔥🔥🔥"),
    ("clean", "这是我们社群的公众号文章 https://mp.weixin.qq.com/s/abc"), ("clean", "B站上有完整视频 https://www.bilibili.com/video/BV1"),
    ("clean", "我在知乎写了篇总结 zhihu.com/p/123"), ("clean", "下单请找客服，别私下交易"), ("clean", "他说要加我微信，我没同意"),
    ("clean", "这本书讲的是赌博成瘾的心理"), ("clean", "毒品危害的科普讲座，欢迎参加"), ("clean", "Is gambling addiction covered in this course?"),
    ("clean", "I'm an idiot, forgot my keys again"), ("clean", "My dumbass cat knocked the cup over"), ("clean", "今天兼职做志愿者，很开心"),
    ("clean", "代理商的合同要注意哪些条款？"), ("clean", "扫码点餐太方便了"), ("clean", "我们的活动免费，不需要付钱"),
    ("clean", "tg 上的公告频道已经关了，以后看这里"), ("clean", "红包封面做好了，大家看看"), ("clean", "QR code for the venue is on the poster"),
]
for label, t in HARD: add(label, t, hard=True)

with open("data/moderation/eval.jsonl", "w", encoding="utf-8") as f:
    for m in out:
        f.write(json.dumps(m, ensure_ascii=False) + "\n")
from collections import Counter
print(len(out), Counter(m["label"] for m in out))
