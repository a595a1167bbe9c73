"""Deterministic, realistic demo records for the policy's city (no network, no token)."""
from __future__ import annotations

import random
from datetime import date

# County (区县) centres, roughly where they are on each preset city's map; a city with a policy
# file of its own gets the first layout under its own name.
COUNTIES: dict[str, dict[str, tuple[float, float]]] = {
    "yangquan": {
        "城区": (37.8570, 113.5830),
        "矿区": (37.8680, 113.5540),
        "郊区": (37.9430, 113.5870),
        "平定县": (37.7860, 113.6300),
        "盂县": (38.0860, 113.4120),
        "高新区": (37.8330, 113.5500),
    },
    "jincheng": {
        "城区": (35.5010, 112.8530),
        "泽州县": (35.6170, 112.8390),
        "高平市": (35.7980, 112.9240),
        "阳城县": (35.4860, 112.4150),
        "陵川县": (35.7760, 113.2810),
        "开发区": (35.4700, 112.8300),
    },
}

UNITS = [
    ("U01", "太原理工大学", "刘建国", "0351-6010001"),
    ("U02", "山西农业大学", "王秀兰", "0354-6288001"),
    ("U03", "中北大学", "赵志强", "0351-3920001"),
    ("U04", "山西大学", "孙丽华", "0351-7010001"),
    ("U05", "{city}农业科学研究所", "周海涛", "0353-2020001"),
    ("U06", "山西省煤炭科学研究院", "吴振华", "0351-4040001"),
]

INDUSTRIES = [
    ("耐火材料", "耐火材料、窑炉"), ("煤化工", "煤化工、化工工艺"), ("新材料", "新材料、陶瓷"),
    ("装备制造", "机械设计、智能制造"), ("农业科技", "设施农业、蔬菜种植"), ("生物科技", "生物发酵、食品工程"),
    ("信息技术", "软件、工业互联网"), ("环保科技", "环境工程、污水处理"), ("中药材", "中药材种植、加工"),
    ("畜牧养殖", "畜牧兽医、饲料"), ("电子科技", "电子信息、传感器"), ("建材", "建筑材料、固废利用"),
]
# A technical need per industry: (problem, help wanted), as enterprises write them.
NEEDS = {
    "耐火材料": ("回转窑窑衬耐火砖剥落严重，寿命不足半年", "分析剥落原因，改进耐火砖配方和砌筑工艺"),
    "煤化工": ("甲醇合成催化剂活性下降快，更换周期缩短", "评估催化剂失活原因，推荐再生工艺"),
    "装备制造": ("数控加工精度波动大，废品率偏高", "优化加工工艺参数，建立在线检测方案"),
    "农业科技": ("日光温室冬季夜间温度偏低、湿度过大，蔬菜病害多发", "设计温室环境监测与自动控制方案"),
    "生物科技": ("发酵罐染菌率高，批次产量不稳定", "排查染菌环节，制定无菌操作和灭菌规程"),
    "环保科技": ("污水处理站出水氨氮时有超标", "优化生化处理工艺，提出提标改造方案"),
    "中药材": ("连翘、黄芩采收后晾晒加工粗放，有效成分含量不稳定", "制定产地初加工规程，指导建设烘干设施"),
    "电子科技": ("传感器温漂大，低温环境下读数失准", "改进温度补偿电路和标定方法"),
}
# Applicants (申报人员) for this year's selection: name, unit index, title, degree, fields, keywords,
# county (its place in the city's list).
APPLICANTS = [
    ("赵磊", 0, "讲师", "博士", "材料科学与工程", "耐火材料检测、窑衬寿命评估", 2),
    ("孙悦", 1, "副研究员", "博士", "农业资源与环境", "温室环境控制、水肥一体化", 3),
    ("周凯", 2, "农艺师", "硕士", "中药学", "中药材初加工、烘干工艺", 4),
    ("钱程", 0, "副教授", "博士", "环境工程", "污水处理、脱氮除磷", 1),
]
NAME_PARTS = ["华鑫", "晋阳", "宏达", "泰丰", "瑞升", "恒通", "金石", "丰源", "兴旺", "荣盛", "盛和", "润泽",
              "东方", "嘉禾", "鼎盛", "天成", "明远", "广源"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = ["建华", "志强", "秀英", "海燕", "晓明", "国庆", "丽娟", "文博", "振宇", "佳慧", "宏伟", "雪梅",
         "俊杰", "婷婷", "思远", "立新", "晨曦", "玉兰", "永红", "子涵"]
TITLES = [("教授", "博士"), ("副教授", "博士"), ("研究员", "博士"), ("副研究员", "硕士"),
          ("高级工程师", "硕士"), ("正高级工程师", "博士"), ("高级农艺师", "硕士")]


def _phone(rng: random.Random) -> str:
    return "1" + rng.choice("35789") + "".join(rng.choice("0123456789") for _ in range(9))


def demo_counties(policy_key: str) -> dict[str, tuple[float, float]]:
    return COUNTIES.get(policy_key, next(iter(COUNTIES.values())))


def demo_records(year: int, city: str, counties_at: dict[str, tuple[float, float]], commissioners: int = 30,
                 enterprises: int = 36, seed: int = 2026) -> dict[str, list[list]]:
    """Header row + data rows per sheet, with Chinese headers as a bureau would keep them; `city`
    (阳泉市) names the local institute and the enterprises."""
    rng = random.Random(seed)
    counties = list(counties_at)
    place = city.removesuffix("市")
    units = [["编号", "名称", "联系人", "联系电话"],
             *[[code, name.format(city=city), *rest] for code, name, *rest in UNITS]]
    ent_rows = [["编号", "名称", "县区", "地址", "纬度", "经度", "联系人", "联系电话"]]
    ent_fields: list[tuple[str, str]] = []
    for i in range(enterprises):
        county = counties[i % len(counties)]
        industry, field = INDUSTRIES[i % len(INDUSTRIES)]
        name = f"{place}{NAME_PARTS[i % len(NAME_PARTS)]}{industry}有限公司"
        if any(row[1] == name for row in ent_rows[1:]):
            name = f"{place}{NAME_PARTS[(i * 7) % len(NAME_PARTS)]}{county[:1]}{industry}有限公司"
        lat, lon = counties_at[county]
        ent_rows.append([
            f"E{i + 1:03d}", name, county, f"{county}{rng.choice(['工业园', '开发区', '经济技术园', '镇'])}{rng.randint(1, 99)}号",
            round(lat + rng.uniform(-0.03, 0.03), 5), round(lon + rng.uniform(-0.03, 0.03), 5),
            rng.choice(SURNAMES) + rng.choice(GIVEN), _phone(rng),
        ])
        ent_fields.append((ent_rows[-1][0], field))
    com_rows = [["编号", "姓名", "派出单位", "职称", "学位", "专业领域", "电话", "县区"]]
    agr_rows = [["特派员编号", "企业编号", "开始日期", "结束日期", "状态"]]
    names: set[str] = set()
    for i in range(commissioners):
        while (name := rng.choice(SURNAMES) + rng.choice(GIVEN)) in names:
            pass
        names.add(name)
        code = f"C{i + 1:03d}"
        title, degree = rng.choice(TITLES)
        served = [ent_fields[(i + k * commissioners // 2) % len(ent_fields)] for k in range(1 + (i % 3 == 0))]
        county = ent_rows[int(served[0][0][1:])][2]
        com_rows.append([code, name, UNITS[i % len(UNITS)][0], title, degree, served[0][1], _phone(rng), county])
        for enterprise_code, _ in served:
            agr_rows.append([code, enterprise_code, date(year, 1, 1), date(year, 12, 31), "有效"])
    need_rows = [["需求编号", "企业编号", "技术领域", "问题描述", "期望帮助", "紧急程度", "状态"]]
    for i, (enterprise_code, _) in enumerate(ent_fields):
        industry = INDUSTRIES[i % len(INDUSTRIES)][0]
        if industry in NEEDS and len(need_rows) <= len(NEEDS):
            problem, wanted = NEEDS[industry]
            need_rows.append([f"N{len(need_rows):03d}", enterprise_code, industry, problem, wanted,
                              rng.choice(["紧急", "一般", "一般", "低"]), "待匹配"])
    app_rows = [["编号", "姓名", "派出单位", "职称", "学位", "专业领域", "关键词", "服务容量", "电话", "县区"]]
    for i, (name, unit, title, degree, fields, keywords, county) in enumerate(APPLICANTS, start=1):
        app_rows.append([f"A{i:03d}", name, UNITS[unit][0], title, degree, fields, keywords, 2, _phone(rng),
                         counties[county]])
    return {"派出单位": units, "企业": ent_rows, "技术需求": need_rows, "特派员": com_rows, "申报人员": app_rows,
            "协议": agr_rows}
