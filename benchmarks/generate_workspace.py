"""Write a synthetic funnel workspace: realistic Russian contacts and deals that pass every gate and rule.

    python benchmarks/generate_workspace.py DIR --deals 10000 [--contacts 3000] [--seed 0] [--no-attachments]

The same arguments always give the same bytes (one seeded random generator, no clock, no hash-ordered sets).
Deals are spread over every stage — won, and lost for every reason at a plausible `lost_at` — with histories
that only move forward in time, and with exactly the fields each stage's gate (and every gate before it) needs.
`--no-attachments` is the speed benchmark's workspace: no files under deals/<id>/, so no deal reaches
`postpayment` or `won` (their gate needs signed acceptance scans); those deals stay at `acceptance` instead.

Importable: `generate(root, deals, contacts=None, seed=0, attachments=True)`. The record writer
(`render_record`) is shared with make_demo.py, so generated and hand-curated files have one shape.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema.yaml"

ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
MOSCOW = timezone(timedelta(hours=3))
TODAY = date(2026, 11, 27)  # the demo's "today"; every generated event lies before it
FIRST_DAY = date(2026, 1, 12)

ACTIVE_STAGES = ["lead", "needs", "approval", "proposal", "decision", "contract", "negotiation",
                 "invoice", "delivery", "acceptance", "postpayment"]
STAGE_INDEX = {stage: i for i, stage in enumerate(ACTIVE_STAGES + ["won", "lost"])}

# Key order of a deal file: the SPEC's example first, then the schema's field order, history last.
DEAL_KEYS = ["id", "title", "contact", "stage", "owner", "created", "amount", "categories", "needs",
             "finance_check", "legal_check", "debt_check", "proposals", "equipment", "install_address",
             "contract_type", "contract_changes", "contract_signed_on", "prepayment_invoice",
             "prepayment_amount", "postpayment_amount", "prepayment_paid_on", "commissioned_on",
             "accepted_on", "acceptance_docs", "postpayment_paid_on", "next_action", "next_action_due",
             "loss_reason", "loss_comment", "lost_at", "history"]
CONTACT_KEYS = ["id", "name", "company", "phone", "email", "source", "equipment_preference",
                "client_type", "notes"]
BLOCK_TEXT_KEYS = frozenset(("needs", "contract_changes", "notes"))


# --- the record writer ------------------------------------------------------------------------------------

_PLAIN_UNSAFE_START = set("-?:,[]{}#&*!|>'\"%@`~ ")
# Plain scalars another YAML 1.1 reader (python-frontmatter, an editor plugin) would read as non-strings.
_IMPLICIT = re.compile(r"""(?x)^(?:
    y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL
  | [-+]?[0-9][0-9_.:eE+-]*
  | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*
  | \.(?:inf|Inf|INF|nan|NaN|NAN)
)$""")


def yaml_scalar(text: str, flow: bool = False) -> str:
    """`text` as a YAML scalar that reads back as exactly that string: plain where safe, else double-quoted."""
    if (not text or text[0] in _PLAIN_UNSAFE_START or text[-1] in " :" or ": " in text or " #" in text
            or "\n" in text or "\t" in text or _IMPLICIT.match(text)
            or (flow and any(c in text for c in ",[]{}"))):
        return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar
    return text


def _scalar(value, flow: bool = False) -> str:
    """Typed values (amounts, dates, timestamps) plain as the schema reads them; strings via yaml_scalar."""
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, (date, Decimal, int)):
        return str(value)
    return yaml_scalar(value, flow)


def _flow_map(item: dict) -> str:
    return "{" + ", ".join(f"{k}: {_scalar(v, flow=True)}" for k, v in item.items()) + "}"


def render_value(key: str, value) -> str:
    """One top-level key with its value, as the lines of a record's front matter."""
    if key == "proposals":  # block maps: equipment names hold commas, so no flow style here
        lines = [f"{key}:"]
        for item in value:
            first = True
            for k, v in item.items():
                lines.append(f"  {'- ' if first else '  '}{k}: {_scalar(v)}")
                first = False
        return "\n".join(lines) + "\n"
    if key in ("history", "acceptance_docs"):
        return f"{key}:\n" + "".join(f"  - {_flow_map(item)}\n" for item in value)
    if isinstance(value, list):
        return f"{key}: [{', '.join(value)}]\n"
    if isinstance(value, (date, Decimal, int)):
        return f"{key}: {_scalar(value)}\n"
    if key in BLOCK_TEXT_KEYS or "\n" in value:
        body = "".join(f"  {line}\n" if line else "\n" for line in value.rstrip("\n").split("\n"))
        return f"{key}: |\n{body}"
    return f"{key}: {yaml_scalar(value)}\n"


def render_record(fields: dict, body: str = "", key_order: list[str] | None = None) -> str:
    """A whole record file: front matter in `key_order` (unknown keys after), then the Markdown body."""
    order = key_order or (DEAL_KEYS if str(fields["id"]).startswith("d-") else CONTACT_KEYS)
    keys = [k for k in order if k in fields] + [k for k in fields if k not in order]
    parts = ["---\n"]
    parts.extend(render_value(k, fields[k]) for k in keys if fields[k] is not None)
    parts.append("---\n")
    if body:
        parts.append(body.rstrip("\n") + "\n")
    return "".join(parts)


def timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:00+03:00")


def money(value: Decimal) -> Decimal:
    """Whole roubles when there are no kopecks (`1250000`), else two places (`1250000.50`)."""
    value = value.quantize(Decimal("0.01"))
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def pdf_bytes(lines: list[str]) -> bytes:
    """A tiny, valid one-page PDF with the given ASCII lines: what a scanned acceptance act stands in for."""
    text = "BT /F1 11 Tf 56 780 Td 14 TL " + " ".join(
        "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '" for line in lines) + " ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text.encode("ascii")),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# --- content pools ----------------------------------------------------------------------------------------

MALE_FIRST = ["Александр", "Алексей", "Андрей", "Артём", "Владимир", "Дмитрий", "Евгений", "Игорь", "Илья",
              "Константин", "Максим", "Михаил", "Никита", "Олег", "Павел", "Роман", "Сергей", "Тимур",
              "Ринат", "Руслан", "Юрий", "Вадим", "Денис", "Кирилл"]
FEMALE_FIRST = ["Анна", "Алсу", "Валентина", "Галина", "Гульнара", "Дарья", "Екатерина", "Елена", "Ирина",
                "Ксения", "Марина", "Мария", "Наталья", "Ольга", "Светлана", "Татьяна", "Юлия", "Лилия"]
PATRONYMIC = [("Александрович", "Александровна"), ("Алексеевич", "Алексеевна"), ("Андреевич", "Андреевна"),
              ("Викторович", "Викторовна"), ("Владимирович", "Владимировна"), ("Дмитриевич", "Дмитриевна"),
              ("Игоревич", "Игоревна"), ("Ильдарович", "Ильдаровна"), ("Маратович", "Маратовна"),
              ("Николаевич", "Николаевна"), ("Олегович", "Олеговна"), ("Павлович", "Павловна"),
              ("Рашидович", "Рашидовна"), ("Сергеевич", "Сергеевна"), ("Юрьевич", "Юрьевна")]
SURNAMES = [("Иванов", "Иванова"), ("Смирнов", "Смирнова"), ("Кузнецов", "Кузнецова"), ("Попов", "Попова"),
            ("Васильев", "Васильева"), ("Петров", "Петрова"), ("Соколов", "Соколова"), ("Михайлов", "Михайлова"),
            ("Новиков", "Новикова"), ("Фёдоров", "Фёдорова"), ("Морозов", "Морозова"), ("Волков", "Волкова"),
            ("Алексеев", "Алексеева"), ("Лебедев", "Лебедева"), ("Семёнов", "Семёнова"), ("Егоров", "Егорова"),
            ("Павлов", "Павлова"), ("Козлов", "Козлова"), ("Степанов", "Степанова"), ("Николаев", "Николаева"),
            ("Орлов", "Орлова"), ("Андреев", "Андреева"), ("Макаров", "Макарова"), ("Никитин", "Никитина"),
            ("Захаров", "Захарова"), ("Зайцев", "Зайцева"), ("Соловьёв", "Соловьёва"), ("Борисов", "Борисова"),
            ("Яковлев", "Яковлева"), ("Григорьев", "Григорьева"), ("Романов", "Романова"),
            ("Гарипов", "Гарипова"), ("Хабибуллин", "Хабибуллина"), ("Шарипов", "Шарипова"),
            ("Ахметов", "Ахметова"), ("Галиев", "Галиева"), ("Белов", "Белова"), ("Ершов", "Ершова")]
_TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                     ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r",
                      "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"]))


def translit(text: str) -> str:
    return "".join(_TRANSLIT.get(c, c) for c in text.lower())


CITIES = [
    ("Казань", "843", ["ул. Баумана", "ул. Пушкина", "пр. Победы", "ул. Чистопольская", "ул. Декабристов"]),
    ("Нижний Новгород", "831", ["ул. Большая Покровская", "Московское ш.", "ул. Родионова", "пр. Гагарина"]),
    ("Самара", "846", ["Московское ш.", "ул. Ново-Садовая", "ул. Гагарина", "пр. Кирова"]),
    ("Уфа", "347", ["пр. Октября", "ул. Менделеева", "ул. Комсомольская", "ул. Рихарда Зорге"]),
    ("Екатеринбург", "343", ["ул. Малышева", "ул. Мамина-Сибиряка", "ул. Фронтовых Бригад", "ул. Белинского"]),
    ("Чебоксары", "8352", ["пр. Ленина", "ул. Калинина", "Президентский б-р", "ул. Гражданская"]),
    ("Пермь", "342", ["ул. Ленина", "Комсомольский пр.", "ул. Героев Хасана", "ш. Космонавтов"]),
    ("Ульяновск", "8422", ["ул. Гончарова", "Московское ш.", "пр. Ульяновский", "ул. Локомотивная"]),
    ("Ижевск", "3412", ["ул. Пушкинская", "ул. Удмуртская", "ул. Ленина", "ул. Новоажимова"]),
    ("Набережные Челны", "8552", ["пр. Мира", "пр. Сююмбике", "Автозаводский пр.", "пр. Чулман"]),
]
NAME_PREFIX = [("Водо", "vodo"), ("Тепло", "teplo"), ("Энерго", "energo"), ("Гидро", "gidro"),
               ("Термо", "termo"), ("Аква", "akva"), ("Техно", "tekhno"), ("Пром", "prom"),
               ("Строй", "stroy"), ("Инж", "inzh"), ("Волга", "volga"), ("Урал", "ural"), ("Кама", "kama")]
NAME_SUFFIX = [("Сервис", "servis"), ("Монтаж", "montazh"), ("Ресурс", "resurs"), ("Проект", "proekt"),
               ("Систем", "sistem"), ("Снаб", "snab"), ("Комплект", "komplekt"), ("Альянс", "alyans"),
               ("Инвест", "invest"), ("Техника", "tekhnika"), ("Строй", "stroy")]
LEGAL_FORMS = ["ООО", "ООО", "ООО", "АО", "ПАО"]
SOURCES = ["website", "referral", "exhibition", "advertising", "cold_call", "repeat", "other"]
PREFERENCES = ["domestic", "imported", "no_preference"]
OWNERS = ["ivanov", "petrova", "smirnov", "kuznetsova", "sokolov", "popova", "lebedev", "novikova"]

# Product families: what is sold, its categories, and three options in different price ranges
# (domestic economy, mid-range, imported premium) with a base price in roubles.
FAMILIES = [
    ("Насосная станция повышения давления", ["standard"], "Станция повышения давления на {n} насоса, "
     "расход {q} м³/ч, напор {h} м.", [
         ("ДЕЛИ СПД-3 CDM 15-4", 980000), ("Wilo COR-3 Helix V 1605/SKw-EB-R", 1340000),
         ("Grundfos Hydro MPC-E 3 CR 15-3", 1780000)]),
    ("Канализационная насосная станция", ["standard", "large"], "КНС в стеклопластиковом корпусе, "
     "{n} насоса, расход {q} м³/ч, глубина подводящего коллектора {h} м.", [
         ("КНС «Гидротех» Ø1800 с насосами ЦМК 50-25", 1650000), ("КНС Ø2000 с насосами Wilo Rexa PRO", 2380000),
         ("КНС Ø2000 с насосами Grundfos SE1.80.100", 2960000)]),
    ("Блочно-модульная котельная", ["large"], "Котельная на {n} котла, мощность {q}00 кВт, "
     "работа на природном газе, резервное топливо — дизель.", [
         ("БМК «Энергия» 2 МВт с котлами Термотехник ТТ100", 9800000),
         ("БМК 2 МВт с котлами ICI Caldaie REX 100", 12400000),
         ("БМК 2 МВт с котлами Viessmann Vitoplex 100 PV1B", 14900000)]),
    ("Водогрейный котёл", ["standard"], "Замена котла в существующей котельной: {q}00 кВт, "
     "{n} контура, температурный график 95/70.", [
         ("Котёл Термотехник ТТ100 1000 кВт", 1450000), ("Котёл ICI Caldaie REX 100", 2100000),
         ("Котёл Buderus Logano SK755 1040 кВт", 2750000)]),
    ("Настенный газовый котёл", ["ultra_small"], "Котёл для частного дома {q}0 м², {n} контура, "
     "монтаж до начала отопительного сезона.", [
         ("Котёл Лемакс Premium-30", 62000), ("Котёл Baxi Luna-3 Comfort 310 Fi", 98000),
         ("Котёл Viessmann Vitodens 200-W 35 кВт", 164000)]),
    ("Пластинчатый теплообменник", ["small"], "Теплообменник ГВС, нагрузка {q}0 кВт, "
     "{n} ступени, греющая среда — сетевая вода {t}/70.", [
         ("Теплообменник Ридан НН №14", 186000), ("Теплообменник Funke FP 22", 254000),
         ("Теплообменник Alfa Laval T5-MFG", 318000)]),
    ("Блочный индивидуальный тепловой пункт", ["small", "standard"], "ИТП на {n} контура (отопление, ГВС), "
     "нагрузка {q}0 кВт, узел учёта тепла в комплекте.", [
         ("Блочный ИТП «Ридан» на базе НН №22", 2350000), ("Блочный ИТП Danfoss Termix", 3100000),
         ("Блочный ИТП Alfa Laval AquaStar", 3650000)]),
    ("Циркуляционные насосы", ["ultra_small", "small"], "Замена {n} циркуляционных насосов отопления, "
     "расход {q} м³/ч, напор {h} м.", [
         ("Джилекс Циркуль 32/80", 48000), ("Wilo Stratos MAXO 40/0,5-12", 126000),
         ("Grundfos MAGNA3 40-120 F", 171000)]),
    ("Насосная установка пожаротушения", ["standard"], "Установка внутреннего противопожарного водопровода, "
     "{n} насоса, расход {q} л/с, напор {h} м.", [
         ("УНПС «Гранфлоу» 2 ЦН 65-200", 890000), ("Wilo SiFire EN 50/200-190", 1270000),
         ("Grundfos Hydro MX-A 1/1 NB 50-200", 1590000)]),
]
OPTION_NAMES = ["эконом", "стандарт", "премиум"]
OBJECTS = ["ЖК «Северный»", "ЖК «Светлый квартал»", "ЖК «Зелёная долина»", "ЖК «Волжские зори»",
           "ЖК «Парковый»", "производственный корпус № {k}", "административное здание", "котельная цеха № {k}",
           "очистные сооружения", "школа № {k}", "детский сад № {k}", "больничный корпус № {k}",
           "складской комплекс", "тепличный комплекс", "торговый центр", "жилой дом № {k}"]
PRIVATE_OBJECTS = ["частный дом", "коттедж", "загородный дом", "дача"]
STREETS = ["ул. Садовая", "ул. Лесная", "ул. Центральная", "ул. Молодёжная"]
VILLAGES = ["пос. Медведево", "с. Высокая Гора", "пос. Кудьма", "с. Нагаево", "пос. Усады", "д. Кояшле"]

LOSSES = {  # reason → stages it plausibly happens at, and comments a manager writes
    "price": (["proposal", "decision", "invoice"], [
        "Бюджет урезали, даже эконом-вариант дороже на 15–20%.",
        "Клиент нашёл предложение дешевле на 12% и не готов доплачивать за бренд.",
        "Смета не прошла согласование у собственника."]),
    "delivery_terms": (["decision", "contract", "invoice"], [
        "Нужна поставка за три недели, наш срок — десять.",
        "Клиент требует доставку и разгрузку за наш счёт, без предоплаты."]),
    "vanished": (["lead", "needs", "decision", "invoice"], [
        "Не отвечает на звонки и письма больше месяца.",
        "Счёт не оплачен, контактное лицо уволилось, новое не назначено."]),
    "other_supplier": (["proposal", "decision"], [
        "Выбрали поставщика по итогам тендера на площадке.",
        "Проектировщик заложил оборудование конкурента, менять проект не стали."]),
    "no_need": (["needs", "approval", "decision", "invoice"], [
        "Проект отложили на следующий год.",
        "Старое оборудование отремонтировали своими силами."]),
    "finance_ban": (["approval"], [
        "Финансовый отдел не пропустил: иски кредиторов в картотеке арбитражных дел.",
        "Юристы не пропустили контрагента: массовый адрес регистрации."]),
    "contract_terms": (["negotiation", "contract"], [
        "Не согласовали неустойку 0,5% в день и постоплату 100%.",
        "Клиент настаивает на гарантии 60 месяцев, юристы против."]),
    "other": (["lead", "needs", "approval", "decision"], [
        "Объект передан другой управляющей компании.",
        "Дубль обращения, работа ведётся в другой сделке."]),
}
CONTRACT_CHANGES = [
    "Отсрочка постоплаты 60 дней вместо 10.\nНеустойка 0,1% в день, не более 10% от суммы договора.",
    "Гарантия 36 месяцев вместо 24.\nПриёмка с участием представителя генподрядчика.",
    "Поставка в два этапа с отдельными актами.\nПодсудность — арбитражный суд по месту заказчика.",
]
NEXT_ACTIONS = {
    "lead": ["Перезвонить, уточнить объект и сроки", "Выслать опросный лист"],
    "needs": ["Получить заполненный опросный лист", "Запросить проект и схему узла"],
    "approval": ["Запросить у финансового отдела ответ по ограничениям", "Дождаться проверки контрагента юристами"],
    "proposal": ["Согласовать подбор с инженерами", "Отправить КП в трёх вариантах"],
    "decision": ["Созвониться по КП с главным инженером", "Ответить на вопросы по срокам поставки"],
    "contract": ["Отправить проект договора", "Уточнить адрес объекта и реквизиты"],
    "negotiation": ["Согласовать протокол разногласий с юристами", "Отправить редакцию договора клиенту"],
    "invoice": ["Напомнить об оплате счёта", "Запросить платёжное поручение"],
    "delivery": ["Согласовать дату пусконаладки", "Подтвердить отгрузку со склада"],
    "acceptance": ["Получить подписанный акт приёмки", "Выслать исполнительную документацию"],
    "postpayment": ["Напомнить о постоплате", "Сверить взаиморасчёты с бухгалтерией клиента"],
}
NOTES = [
    "Созвон с главным инженером: объект сдаётся в следующем квартале, сроки жёсткие.",
    "Клиент просил показать референс-объекты в своём регионе.",
    "Доступ на объект только по пропуску, заказывать за два дня.",
    "Решение принимает технический директор, закупки только оформляют.",
    "Шефмонтаж согласован, пусконаладку делает наша бригада.",
]


# --- generation -------------------------------------------------------------------------------------------

def _new_id(rng: random.Random, prefix: str, used: set[str]) -> str:
    while True:
        candidate = prefix + "".join(rng.choices(ID_ALPHABET, k=8))
        if candidate not in used:
            used.add(candidate)
            return candidate


def _person(rng: random.Random) -> tuple[str, str, str]:
    """(full name, first name, surname) with gender agreement."""
    female = rng.random() < 0.4
    surname = rng.choice(SURNAMES)[female]
    first = rng.choice(FEMALE_FIRST if female else MALE_FIRST)
    patronymic = rng.choice(PATRONYMIC)[female]
    return f"{surname} {first} {patronymic}", first, surname


def _phone(rng: random.Random, code: str) -> str:
    digits = "".join(rng.choices("0123456789", k=10 - len(code)))
    if len(code) == 3:
        return f"+7 ({code}) {digits[:3]}-{digits[3:5]}-{digits[5:]}"
    return f"+7 ({code}) {digits[:2]}-{digits[2:4]}-{digits[4:]}"


def _address(rng: random.Random, city: tuple, private: bool) -> str:
    if private:
        return f"{rng.choice(VILLAGES)}, {rng.choice(STREETS)}, д. {rng.randint(1, 60)}"
    house = f"д. {rng.randint(1, 180)}"
    if rng.random() < 0.25:
        house += f", корп. {rng.randint(1, 4)}"
    return f"г. {city[0]}, {rng.choice(city[2])}, {house}"


def make_contacts(rng: random.Random, count: int, used: set[str]) -> list[dict]:
    companies = []
    for prefix in NAME_PREFIX:
        for suffix in NAME_SUFFIX:
            if prefix[0] != suffix[0]:
                companies.append((prefix[0] + suffix[0], prefix[1] + suffix[1]))
    contacts = []
    for _ in range(count):
        name, first, surname = _person(rng)
        city = rng.choice(CITIES)
        fields = {"id": _new_id(rng, "c-", used), "name": name}
        if rng.random() < 0.8:
            core, latin = rng.choice(companies)
            fields["company"] = f"{rng.choice(LEGAL_FORMS)} «{core}»"
            domain = f"{latin}.ru"
            fields["client_type"] = "engineering_company" if rng.random() < 0.3 else "end_customer"
        else:
            domain = rng.choice(["yandex.ru", "mail.ru", "gmail.com", "bk.ru"])
            fields["client_type"] = "end_customer"
        contact_way = rng.random()
        if contact_way < 0.85:
            mobile = "9" + str(rng.randint(10, 99))  # a private person gives a mobile number
            fields["phone"] = _phone(rng, city[1] if "company" in fields else mobile)
        if contact_way > 0.1:
            fields["email"] = f"{translit(first)[0]}.{translit(surname)}@{domain}"
        fields["source"] = rng.choice(SOURCES)
        fields["equipment_preference"] = rng.choice(PREFERENCES)
        fields["city"] = city  # generation-only: where this client's sites are
        contacts.append(fields)
    return contacts


def _stage_plan(rng: random.Random, index: int, attachments: bool) -> tuple[str, str | None, str | None]:
    """(final stage, lost_at, loss_reason) for the index-th deal: every stage first, then weighted."""
    stages = ACTIVE_STAGES + ["won", "lost"]
    weights = [7, 7, 5, 7, 8, 5, 3, 6, 6, 5, 4, 16, 17]
    if not attachments:
        weights[stages.index("acceptance")] += weights[stages.index("won")] + weights[stages.index("postpayment")]
        weights[stages.index("won")] = weights[stages.index("postpayment")] = 0
    available = [s for s, w in zip(stages, weights) if w]
    stage = available[index] if index < len(available) else rng.choices(stages, weights)[0]
    if stage != "lost":
        return stage, None, None
    reasons = list(LOSSES)
    reason = reasons[index % len(reasons)] if index < 2 * len(available) else rng.choice(reasons)
    return "lost", rng.choice(LOSSES[reason][0]), reason


def _history(rng: random.Random, reached: str, final: str, custom: bool) -> list[tuple[str, datetime]]:
    path = []
    for stage in ACTIVE_STAGES:
        if stage == "negotiation" and not custom:
            continue
        path.append(stage)
        if stage == reached:
            break
    if STAGE_INDEX[reached] > STAGE_INDEX["decision"] and rng.random() < 0.05:
        at = path.index("decision") + 1
        path[at:at] = ["proposal", "decision"]  # the client asked for the options to be reworked
    if final in ("won", "lost"):
        path.append(final)
    gaps = [rng.randint(1, 12) for _ in path[1:]]
    span = sum(gaps) + 1
    if final in ("won", "lost"):  # closed any time this year
        start = FIRST_DAY + timedelta(days=rng.randint(0, max((TODAY - FIRST_DAY).days - span, 0)))
    else:  # an open deal moved recently: its last stage change lies in the last weeks
        start = max(FIRST_DAY, TODAY - timedelta(days=span + rng.randint(0, 40)))
    moment = datetime(start.year, start.month, start.day, rng.randint(9, 12), rng.randint(0, 59), tzinfo=MOSCOW)
    history = [(path[0], moment)]
    for stage, gap in zip(path[1:], gaps):
        day = moment.date() + timedelta(days=gap)
        moment = datetime(day.year, day.month, day.day, rng.randint(9, 18), rng.randint(0, 59), tzinfo=MOSCOW)
        history.append((stage, moment))
    return history


def make_deal(rng: random.Random, index: int, contact: dict, used: set[str],
              attachments: bool) -> tuple[dict, str, bytes | None]:
    """(front matter, body, acceptance scan bytes or None) of one deal meeting every gate of its stage."""
    final, lost_at, reason = _stage_plan(rng, index, attachments)
    reached = lost_at if final == "lost" else ("postpayment" if final == "won" else final)
    level = STAGE_INDEX[reached]
    custom = reached == "negotiation" or (level > STAGE_INDEX["negotiation"] and rng.random() < 0.25)
    history = _history(rng, reached, final, custom)
    entered = {stage: moment.date() for stage, moment in history}  # the last entry of a re-entered stage

    kind, categories, needs_template, options = rng.choice(FAMILIES)
    private = "company" not in contact
    if private:
        site = f"{rng.choice(PRIVATE_OBJECTS)}, {rng.choice(VILLAGES)}"
    else:
        site = rng.choice(OBJECTS).format(k=rng.randint(1, 40))
    deal = {
        "id": _new_id(rng, "d-", used),
        "title": f"{kind}, {site}",
        "contact": contact["id"],
        "stage": final,
        "owner": rng.choice(OWNERS),
        "created": history[0][1].date(),
    }
    scale = Decimal(rng.randint(80, 125)) / 100
    prices = [money(Decimal(base) * scale) for _, base in options]
    chosen = rng.choice([0, 1, 1, 2])
    if level >= STAGE_INDEX["needs"]:
        deal["amount"] = money(Decimal(options[1][1]) * scale)  # the estimate, until the contract fixes it
        deal["categories"] = list(categories)
        deal["needs"] = needs_template.format(n=rng.choice([2, 3]), q=rng.randint(8, 60), h=rng.randint(25, 95),
                                             t=rng.choice([90, 95, 105, 115, 130]))
    elif rng.random() < 0.5:
        deal["amount"] = money(Decimal(options[1][1]) * scale)
    if level >= STAGE_INDEX["approval"]:
        deal["finance_check"] = "approved" if level > STAGE_INDEX["approval"] else rng.choice(["pending", "approved"])
        deal["legal_check"] = "passed" if level > STAGE_INDEX["approval"] else rng.choice(["pending", "passed"])
        if reason == "finance_ban":
            if rng.random() < 0.6:
                deal["finance_check"] = "banned"
            else:
                deal["finance_check"], deal["legal_check"] = "approved", "failed"
    if level >= STAGE_INDEX["proposal"]:
        deal["debt_check"] = "clear"
    if level >= STAGE_INDEX["decision"] or (level == STAGE_INDEX["proposal"] and rng.random() < 0.5):
        count = 3 if level >= STAGE_INDEX["decision"] and rng.random() > 0.03 else rng.randint(1, 2)
        deal["proposals"] = [{"option": OPTION_NAMES[i], "equipment": options[i][0], "price": prices[i]}
                             for i in range(count)]
        chosen = min(chosen, count - 1)
    if level >= STAGE_INDEX["contract"]:
        deal["amount"] = prices[chosen]
        deal["equipment"] = options[chosen][0]
        deal["install_address"] = _address(rng, contact["city"], private)
        if custom:
            deal["contract_type"] = "custom"
        elif level > STAGE_INDEX["contract"] or rng.random() < 0.5:
            deal["contract_type"] = "standard"
    if custom:
        deal["contract_changes"] = rng.choice(CONTRACT_CHANGES)
    if level >= STAGE_INDEX["invoice"]:
        before_invoice = next(history[i - 1][1].date() for i, (s, _) in enumerate(history) if s == "invoice")
        deal["contract_signed_on"] = max(before_invoice, entered["invoice"] - timedelta(days=rng.randint(0, 2)))
        deal["prepayment_invoice"] = f"СП-{entered['invoice'].year}-{index + 1:05d}"
        share = rng.choice([Decimal("0.3"), Decimal("0.5"), Decimal("0.5"), Decimal("0.7")])
        deal["prepayment_amount"] = money(deal["amount"] * share)
        deal["postpayment_amount"] = money(deal["amount"] - deal["prepayment_amount"])
    if level >= STAGE_INDEX["delivery"]:
        deal["prepayment_paid_on"] = entered["delivery"]
    if level >= STAGE_INDEX["acceptance"]:
        deal["commissioned_on"] = entered["acceptance"]
    scan = None
    if level >= STAGE_INDEX["postpayment"]:
        deal["accepted_on"] = entered["postpayment"]
        scan = pdf_bytes([f"Akt priemki oborudovaniya po sdelke {deal['id']}",
                          f"Data priemki: {entered['postpayment'].isoformat()}", "Podpisano storonami."])
        deal["acceptance_docs"] = [{"path": f"deals/{deal['id']}/akt-priemki.pdf",
                                    "sha256": hashlib.sha256(scan).hexdigest()}]
    if final == "won":
        deal["postpayment_paid_on"] = entered["won"]
    if final not in ("won", "lost") and rng.random() < 0.6:
        deal["next_action"] = rng.choice(NEXT_ACTIONS[final])
        deal["next_action_due"] = history[-1][1].date() + timedelta(days=rng.randint(1, 14))
    if final == "lost":
        deal["loss_reason"] = reason
        deal["loss_comment"] = rng.choice(LOSSES[reason][1])
        deal["lost_at"] = lost_at
    deal["history"] = [{"stage": stage, "at": moment} for stage, moment in history]
    body = rng.choice(NOTES) if rng.random() < 0.3 else ""
    return deal, body, scan


def generate(root: Path, deals: int, contacts: int | None = None, seed: int = 0,
             attachments: bool = True) -> None:
    """Write root/schema.yaml, root/contacts/*.md and root/deals/*.md (+ acceptance scans): a valid workspace."""
    root = Path(root)
    if contacts is None:
        contacts = max(1, round(deals * 0.3))
    if deals and contacts < 1:
        raise ValueError("deals need at least one contact")
    rng = random.Random(seed)
    used: set[str] = set()
    people = make_contacts(rng, contacts, used)
    (root / "contacts").mkdir(parents=True, exist_ok=True)
    (root / "deals").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SCHEMA_PATH, root / "schema.yaml")
    for person in people:
        fields = {k: v for k, v in person.items() if k != "city"}
        _write(root / "contacts" / f"{fields['id']}.md", render_record(fields, key_order=CONTACT_KEYS).encode())
    for index in range(deals):
        deal, body, scan = make_deal(rng, index, rng.choice(people), used, attachments)
        _write(root / "deals" / f"{deal['id']}.md", render_record(deal, body, DEAL_KEYS).encode())
        if scan is not None:
            (root / "deals" / deal["id"]).mkdir(exist_ok=True)
            _write(root / "deals" / deal["id"] / "akt-priemki.pdf", scan)


def _write(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="example: python benchmarks/generate_workspace.py /tmp/ws --deals 10000")
    parser.add_argument("root", type=Path, help="directory to write the workspace into")
    parser.add_argument("--deals", type=int, required=True, help="number of deals")
    parser.add_argument("--contacts", type=int, default=None, help="number of contacts (default: 30%% of deals)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same bytes)")
    parser.add_argument("--no-attachments", action="store_true",
                        help="write no attachment files, so no deal reaches postpayment or won")
    args = parser.parse_args(argv)
    if args.deals < 0 or (args.contacts is not None and args.contacts < 1):
        parser.error("--deals must be >= 0 and --contacts >= 1")
    generate(args.root, args.deals, args.contacts, args.seed, attachments=not args.no_attachments)
    return 0


if __name__ == "__main__":
    sys.exit(main())
