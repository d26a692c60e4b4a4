"""Chinese word lists for the word-problem templates (`templates_zh.py`, `phrasings_zh.py`).

`LEXICON` maps a list name to its words. Chinese needs a measure word (量词) between a number and a noun
(3 本故事书, 2 支铅笔, 5 千克苹果), so items are grouped by the measure word or unit they take: a template
writes the measure word itself and draws the noun from the list that agrees with it (`books` for 本, `pens`
for 支, `fruits` for 千克 ...). Every entry of a list must read correctly in every template that uses the list.
The vocabulary is that of Chinese primary-school 应用题 (Ape210K, Math23K): children called 小明 / 小红,
王老师, 张师傅, 甲地 and 乙地, 商店 and 文具店, 工程队, 千米/时.

`DISTRACTORS` are sentences with one irrelevant number `{d}` that the generator may add to a problem
(GSM-NoOp, Mirzadeh et al. 2024: a plausible but irrelevant clause). Besides `{d}` (2..59, drawn by the
generator) they use only `{name}`, which is the problem's own `name` slot when it has one (else a random name),
and they state facts that no template's question depends on (a class's size, trees by the playground), true
for any d in that range.
"""

from __future__ import annotations

LEXICON: dict[str, tuple[str, ...]] = {
    # --- people ---------------------------------------------------------------------------------------------
    "names": (
        "小明", "小红", "小华", "小刚", "小丽", "小军", "小芳", "小强", "小亮", "小兰",
        "小东", "小雪", "小林", "小梅", "小杰", "小玲", "小伟", "小燕", "小龙", "小静",
    ),
    "teachers": ("王老师", "李老师", "张老师", "刘老师", "陈老师", "杨老师", "赵老师", "黄老师", "周老师", "吴老师"),
    "workers": ("张师傅", "李师傅", "王师傅", "刘师傅", "陈师傅", "赵师傅", "孙师傅", "周师傅"),
    "adults": ("王叔叔", "李阿姨", "张叔叔", "刘阿姨", "陈叔叔", "杨阿姨", "赵叔叔", "黄阿姨"),
    # an older relative whose age is a multiple of a child's (年龄问题)
    "elders": ("爸爸", "妈妈", "叔叔", "姑姑", "舅舅", "阿姨"),
    "grandparents": ("爷爷", "奶奶", "外公", "外婆"),
    # --- places ---------------------------------------------------------------------------------------------
    "shops": ("商店", "超市", "百货商店", "商场", "小卖部"),
    "stationers": ("文具店", "书店", "商店", "超市"),
    "fruit_shops": ("水果店", "超市", "菜市场", "水果摊"),
    "cities": ("北京", "上海", "南京", "杭州", "广州", "天津", "武汉", "西安", "长沙", "济南", "郑州", "成都"),
    "schools": ("实验小学", "育才小学", "希望小学", "红星小学", "光明小学", "阳光小学"),
    "grades": ("三年级", "四年级", "五年级", "六年级"),
    # generic on purpose: a factory may make any product of `products` or `parts`
    "factories": ("某工厂", "一家工厂", "红星工厂", "光明工厂", "新华工厂", "东方工厂"),
    # --- things, grouped by the measure word or unit they take -----------------------------------------------
    "books": ("故事书", "漫画书", "科技书", "图画书", "童话书", "连环画", "百科全书"),  # 本, read
    "notebooks": ("笔记本", "练习本", "作文本", "日记本", "草稿本"),  # 本, written in
    "pens": ("铅笔", "钢笔", "圆珠笔", "水彩笔", "毛笔", "签字笔"),  # 支
    "toys": ("书包", "文具盒", "足球", "篮球", "排球", "玩具车", "水杯", "计算器", "地球仪", "台灯"),  # 个
    "clothes": ("衬衫", "毛衣", "外套", "上衣", "羽绒服", "夹克", "运动服"),  # 件
    "appliances": ("电视机", "洗衣机", "电冰箱", "空调", "电脑", "热水器"),  # 台, 500-8000 元
    "fruits": ("苹果", "梨", "香蕉", "橘子", "葡萄", "桃子", "草莓", "樱桃", "荔枝", "西瓜"),  # 千克
    "vegetables": ("白菜", "土豆", "西红柿", "黄瓜", "萝卜", "茄子", "青菜", "冬瓜"),  # 千克
    "grains": ("大米", "面粉", "白糖", "玉米", "黄豆", "绿豆"),  # 袋, 千克
    "drinks": ("牛奶", "果汁", "矿泉水", "酸奶", "橙汁", "豆浆"),  # 瓶, 盒
    "trees": ("杨树", "柳树", "松树", "桃树", "梨树", "苹果树", "梧桐树", "柏树"),  # 棵
    "flowers": ("月季花", "菊花", "玫瑰花", "郁金香", "茉莉花", "兰花", "向日葵"),  # 盆, 株
    "poultry": ("鸡", "鸭", "鹅", "兔子", "羊"),  # 只, farm animals kept by the hundred
    "parts": ("零件", "螺丝", "齿轮", "轴承", "配件"),  # 个, 加工
    "products": ("玩具", "书包", "水杯", "手套", "帽子", "口罩"),  # 个 / 只 / 顶 differ, so always with 件 (件数)
    "fabrics": ("布", "花布", "绸子", "丝带", "彩带"),  # 米
    "liquids": ("水", "油", "汽油", "果汁"),  # 升
    "sweets": ("糖果", "饼干", "巧克力", "奶糖", "水果糖"),  # 块 / 颗
    # --- work and travel -------------------------------------------------------------------------------------
    "vehicles": ("汽车", "客车", "货车", "轿车", "卡车", "大巴车"),  # 辆, 30-100 千米/时
    "trucks": ("货车", "卡车", "大卡车", "运输车"),  # 辆, loads in 吨
    "trains": ("火车", "动车", "高铁"),  # 列
    "slow_movers": ("自行车", "电动车", "摩托车"),  # 辆, 10-40 千米/时
    "roads": ("公路", "水渠", "铁路", "小路", "自行车道", "排水管道"),  # 条, 修 / 铺
    "teams": ("工程队", "施工队", "修路队", "建筑队"),
    "jobs": ("一项工程", "一项任务", "一批零件的加工任务", "一批服装的生产任务", "一批货物的装运任务"),  # 完成
    "subjects": ("语文", "数学", "英语", "科学", "音乐", "美术"),
    "clubs": ("合唱队", "舞蹈队", "美术小组", "航模小组", "数学兴趣小组", "书法小组", "足球队"),
}

DISTRACTORS: tuple[str, ...] = (
    "{name}的同桌有{d}张贴画。",
    "{name}家楼下有{d}级台阶。",
    "学校图书室里有{d}本书。",
    "学校的花坛里开了{d}朵花。",
    "操场边种着{d}棵树。",
    "这条街上有{d}家商店。",
    "教室里有{d}张课桌。",
    "图书角新添了{d}本杂志。",
    "学校门口停着{d}辆自行车。",
    "小区里住着{d}户人家。",
    "路口的红灯要等{d}秒。",
    "{name}昨天读了{d}页课外书。",
)

BACKWARD_QUESTIONS: tuple[str, ...] = (
    "如果已知上面这道题的答案是{answer}，那么未知数x的值是多少？",
    "已知这道题的答案是{answer}，求x。",
    "这道题算出来的结果是{answer}，x是多少？",
    "若上题的答案为{answer}，则x等于多少？",
    "反过来想：答案是{answer}，那么x应该是几？",
)
"""Sentences closing a backward question (WordConfig.backward_share): after the question with one given number
written `x`, the forward answer `{answer}` is stated and x asked for (as Chinese textbooks write 求x)."""
