"""Write the repository's demo workspace: 16 contacts and 40 deals of a pump and boiler supplier.

    python benchmarks/make_demo.py [--root DIR]      (default: the repository root)

The data below is curated by hand — one story per client, dates that fit together, the seed's decision steps
(finance bans, custom contracts, unpaid invoices, signed acceptance scans). The script only renders it in the
one record shape (generate_workspace.render_record), mints stable ids from the story keys and writes the
acceptance scans with their sha256. It replaces contacts/*.md, deals/*.md and deals/<id>/ under DIR;
running it twice gives the same bytes. "Today" for this data is 2026-11-27 (the README's first command sets
FUNNEL_TODAY to it): most open deals are on pace there, four are stale and three have their next action overdue.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate_workspace import (CONTACT_KEYS, DEAL_KEYS, ID_ALPHABET, MOSCOW, pdf_bytes,  # noqa: E402
                                render_record)

DATE_FIELDS = ("contract_signed_on", "prepayment_paid_on", "commissioned_on", "accepted_on",
               "postpayment_paid_on", "next_action_due")
AMOUNT_FIELDS = ("amount", "prepayment_amount", "postpayment_amount")


def stable_id(prefix: str, key: str) -> str:
    digest = hashlib.sha256(f"funnel-demo:{key}".encode()).digest()
    return prefix + "".join(ID_ALPHABET[b % 32] for b in digest[:8])


# --- contacts: key → fields ---------------------------------------------------------------------------------

CONTACTS = {
    "garipov": dict(
        name="Гарипов Ринат Ильдарович", company="ООО «Водоканал-Сервис»", phone="+7 (843) 212-45-67",
        email="r.garipov@vks-kazan.ru", source="website", equipment_preference="imported",
        client_type="end_customer",
        notes="Главный инженер. По оборудованию решает сам, закупку оформляет отдел снабжения."),
    "khabibullina": dict(
        name="Хабибуллина Алсу Рашидовна", company="ООО «Водоканал-Сервис»", phone="+7 (843) 212-45-80",
        email="a.khabibullina@vks-kazan.ru", source="repeat", equipment_preference="no_preference",
        client_type="end_customer", notes="Отдел снабжения, коллега Р. И. Гарипова."),
    "morozov": dict(
        name="Морозов Андрей Викторович", company="АО «СЗ «Северный квартал»»", phone="+7 (831) 415-20-33",
        email="a.morozov@sev-kvartal.ru", source="exhibition", equipment_preference="no_preference",
        client_type="end_customer"),
    "kuzmina": dict(
        name="Кузьмина Елена Павловна", company="ООО «ТеплоИнжПроект»", phone="+7 (343) 287-61-09",
        email="kuzmina@tip-ural.ru", source="referral", equipment_preference="imported",
        client_type="engineering_company",
        notes="ГИП проектного бюро; закладывает наше оборудование в проекты своих заказчиков."),
    "sokolov": dict(
        name="Соколов Дмитрий Александрович", phone="+7 (917) 263-48-15", email="d.sokolov84@yandex.ru",
        source="advertising", equipment_preference="imported", client_type="end_customer"),
    "belova": dict(
        name="Белова Ольга Игоревна", company="МУП «Водоканал» г. Чебоксары", phone="+7 (8352) 62-14-07",
        email="o.belova@vodokanal-cheb.ru", source="cold_call", equipment_preference="domestic",
        client_type="end_customer", notes="Закупки по 223-ФЗ, договор только по форме заказчика."),
    "sharipov": dict(
        name="Шарипов Тимур Маратович", company="АО «Приволжский трубный завод»", phone="+7 (8552) 39-70-12",
        email="t.sharipov@ptz-chelny.ru", source="exhibition", equipment_preference="domestic",
        client_type="end_customer"),
    "lebedev": dict(
        name="Лебедев Сергей Николаевич", company="ООО «Инженерные системы Поволжья»",
        phone="+7 (846) 373-55-28", email="lebedev@isp-samara.ru", source="referral",
        equipment_preference="no_preference", client_type="engineering_company"),
    "nikitina": dict(
        name="Никитина Марина Олеговна", company="ГАУЗ «Городская клиническая больница № 7»",
        phone="+7 (843) 221-36-90", email="m.nikitina@gkb7-kzn.ru", source="website",
        equipment_preference="domestic", client_type="end_customer"),
    "zaytsev": dict(
        name="Зайцев Павел Евгеньевич", company="ООО «Агрокомплекс «Заречный»»", phone="+7 (8422) 73-18-44",
        email="zaitsev@agro-zarechny.ru", source="advertising", equipment_preference="no_preference",
        client_type="end_customer"),
    "akhmetova": dict(
        name="Ахметова Гульнара Ринатовна", company="ООО «УК «Жилкомфорт»»", phone="+7 (347) 246-90-17",
        email="g.akhmetova@zhilkomfort-ufa.ru", source="cold_call", equipment_preference="domestic",
        client_type="end_customer"),
    "fedorov": dict(
        name="Фёдоров Игорь Валентинович", company="ООО «СтройМонтажПроект»", phone="+7 (495) 648-27-31",
        email="i.fedorov@smp-msk.ru", source="exhibition", equipment_preference="imported",
        client_type="engineering_company"),
    "volkova": dict(
        name="Волкова Татьяна Андреевна", phone="8 927 418-05-62", source="website",
        equipment_preference="no_preference", client_type="end_customer",
        notes="Звонить после 18:00, днём на работе."),
    "grigoriev": dict(
        name="Григорьев Алексей Борисович", company="АО «Теплосеть Заволжья»", phone="+7 (831) 612-74-50",
        email="a.grigoriev@teploset-zav.ru", source="other", equipment_preference="domestic",
        client_type="end_customer"),
    "ershov": dict(
        name="Ершов Константин Львович", company="ООО «Логистический парк «Восток»»",
        email="k.ershov@lp-vostok.ru", source="referral", equipment_preference="imported",
        client_type="end_customer"),
    "karpov": dict(
        name="Карпов Виталий Сергеевич", company="ООО «СтройТехРесурс»", phone="+7 (917) 555-03-12",
        email="stroytehresurs@mail.ru", source="cold_call", equipment_preference="no_preference",
        client_type="end_customer"),
}


def options(*items: tuple[str, int | str]) -> list[dict]:
    names = ["эконом", "стандарт", "премиум"]
    return [{"option": names[i], "equipment": equipment, "price": Decimal(str(price))}
            for i, (equipment, price) in enumerate(items)]


def path(*entries: str) -> list[tuple[str, str]]:
    """'stage YYYY-MM-DD HH:MM' entries → history pairs."""
    return [(entry.split(" ", 1)[0], entry.split(" ", 1)[1]) for entry in entries]


CHECKED = dict(finance_check="approved", legal_check="passed", debt_check="clear")

# --- deals: key → (contact, owner, title, history, fields, body) ----------------------------------------------

DEALS = [
    # ---- lead
    ("sokolov-floor", "sokolov", "petrova", "Насосы для тёплого пола, пристройка загородного дома",
     path("lead 2026-11-24 15:20"),
     dict(next_action="Перезвонить, уточнить площадь пристройки и схему коллектора",
          next_action_due="2026-11-28"), ""),
    ("ershov-fire", "ershov", "smirnov", "Насосная установка пожаротушения, склад класса А",
     path("lead 2026-11-25 11:05"), {}, ""),
    ("garipov-salmachi", "garipov", "ivanov", "Замена насосов на ВНС «Салмачи»",
     path("lead 2026-11-26 09:40"), {},
     "Гарипов позвонил сам: на ВНС «Салмачи» два насоса 1990-х годов, один в ремонте. Ждём паспорта насосов.\n"),
    # ---- needs
    ("akhmetova-circ", "akhmetova", "smirnov", "Циркуляционные насосы отопления, два ИТП на ул. Менделеева",
     path("lead 2026-11-10 10:15", "needs 2026-11-13 14:30"),
     dict(amount=420000, categories=["small"],
          needs="Замена шести циркуляционных насосов в двух ИТП жилых домов: расход до 12 м³/ч, напор 8 м.\n"
                "УК просит отечественные насосы или Wilo.",
          next_action="Получить от УК схемы ИТП и паспорта насосов", next_action_due="2026-11-20"), ""),
    ("morozov-itp", "morozov", "ivanov", "Блочный ИТП, ЖК «Северный», корпус 3",
     path("lead 2026-11-16 09:50", "needs 2026-11-23 16:10"),
     dict(amount=3400000, categories=["standard"],
          needs="ИТП на три контура (отопление, вентиляция, ГВС), нагрузка 1,2 Гкал/ч, узел учёта тепла.\n"
                "Сдача корпуса — III квартал 2027 года."), ""),
    ("volkova-boiler", "volkova", "petrova", "Газовый котёл и бойлер, частный дом в с. Высокая Гора",
     path("lead 2026-11-18 12:00", "needs 2026-11-20 10:30"),
     dict(amount=145000, categories=["ultra_small"],
          needs="Дом 180 м², два этажа. Двухконтурный котёл или одноконтурный с бойлером на 150 л."),
     "Газ подведён летом, проект газификации на руках. Хочет монтаж до Нового года.\n"),
    # ---- approval
    ("fedorov-kns", "fedorov", "smirnov", "КНС для коттеджного посёлка «Сосновый бор»",
     path("lead 2026-11-02 11:20", "needs 2026-11-05 15:00", "approval 2026-11-24 10:00"),
     dict(amount=2600000, categories=["standard", "large"],
          needs="КНС в стеклопластиковом корпусе Ø2000, два насоса с режущим механизмом, расход 40 м³/ч,\n"
                "глубина подводящего коллектора 4,5 м.",
          finance_check="approved", legal_check="pending",
          next_action="Дождаться проверки заказчика проекта юристами", next_action_due="2026-11-30"), ""),
    ("nikitina-hx", "nikitina", "petrova", "Пластинчатые теплообменники ГВС, корпус № 2",
     path("lead 2026-11-09 09:30", "needs 2026-11-11 14:00", "approval 2026-11-24 16:40"),
     dict(amount=540000, categories=["small"],
          needs="Два теплообменника ГВС по 350 кВт взамен кожухотрубных, греющая среда — сетевая вода 95/70.",
          finance_check="pending", legal_check="passed", debt_check="clear",
          next_action="Запросить у финансового отдела ответ по ограничениям", next_action_due="2026-11-28"), ""),
    # ---- proposal
    ("kuzmina-iset", "kuzmina", "ivanov", "Насосная станция повышения давления, БЦ «Исеть-Плаза»",
     path("lead 2026-10-20 10:00", "needs 2026-10-22 11:30", "approval 2026-10-27 14:00",
          "proposal 2026-11-20 09:45"),
     dict(amount=2100000, categories=["standard"],
          needs="Станция на четыре насоса (3 рабочих + резерв), расход 60 м³/ч, напор 78 м, частотное\n"
                "регулирование на каждом насосе.",
          **CHECKED, next_action="Отправить КП в трёх вариантах", next_action_due="2026-11-25"),
     "## Подбор\n\n"
     "- Инженеры считают три варианта: ДЕЛИ, Wilo COR-4, Grundfos Hydro MPC-E.\n"
     "- Кузьмина просит вариант с шкафом управления российской сборки.\n"),
    ("belova-kns14", "belova", "smirnov", "Канализационная насосная станция КНС-14, мкр. Новый город",
     path("lead 2026-10-14 10:40", "needs 2026-10-21 13:15", "approval 2026-10-28 11:00",
          "proposal 2026-11-20 15:30"),
     dict(amount=4300000, categories=["large"],
          needs="КНС производительностью 180 м³/ч, три насоса, глубина коллектора 6 м, павильон и шкаф\n"
                "управления с диспетчеризацией.", **CHECKED), ""),
    ("khabibullina-tankodrom", "khabibullina", "ivanov", "Станция повышения давления, ВНС «Танкодром»",
     path("lead 2026-11-05 10:20", "needs 2026-11-09 11:45", "approval 2026-11-13 09:30",
          "proposal 2026-11-19 14:10"),
     dict(amount=1800000, categories=["standard"],
          needs="Замена станции на три насоса: расход 45 м³/ч, напор 62 м.", **CHECKED,
          next_action="Согласовать подбор с инженерами", next_action_due="2026-11-27"),
     "Повторное обращение «Водоканал-Сервиса»: долгов по ВНС «Горки» и «Азино» нет, сверка от 12.11.\n"),
    # ---- decision
    ("grigoriev-boiler", "grigoriev", "petrova", "Водогрейный котёл 2 МВт, котельная № 5",
     path("lead 2026-09-15 10:00", "needs 2026-09-18 14:20", "approval 2026-09-24 11:10",
          "proposal 2026-09-30 16:00", "decision 2026-10-14 12:30", "proposal 2026-10-20 10:15",
          "decision 2026-11-18 17:40"),
     dict(amount=2960000, categories=["standard"],
          needs="Замена котла ПТВМ в котельной № 5: 2 МВт, газ, температурный график 95/70.", **CHECKED,
          proposals=options(("Котёл Термотехник ТТ100 2000 кВт с горелкой ГБЛ-2,0", 2140000),
                            ("Котёл ICI Caldaie REX 200", 2960000),
                            ("Котёл Viessmann Vitoplex 100 PV1B 2000 кВт", 3870000)),
          next_action="Созвониться по КП с главным инженером", next_action_due="2026-12-01"),
     "20.10 клиент вернул КП: эконом-вариант нужен с отечественной горелкой. Пересчитали, новое КП\n"
     "отправлено 02.11.\n"),
    ("lebedev-aurora", "lebedev", "smirnov", "Насосная установка пожаротушения, ТЦ «Аврора»",
     path("lead 2026-10-01 09:20", "needs 2026-10-06 10:40", "approval 2026-10-09 15:00",
          "proposal 2026-10-16 11:30", "decision 2026-11-16 16:50"),
     dict(amount=1520000, categories=["standard"],
          needs="Установка внутреннего противопожарного водопровода: два насоса, расход 25 л/с, напор 60 м.",
          **CHECKED,
          proposals=options(("УНПС «Гранфлоу» 2 ЦН 65-200", 1080000), ("Wilo SiFire EN 65/200-200", 1520000))),
     "Заказчик Лебедева просил только два варианта: Grundfos по бюджету не проходит.\n"),
    ("sharipov-zinc", "sharipov", "ivanov", "Пластинчатые теплообменники, участок горячего цинкования",
     path("lead 2026-10-12 13:00", "needs 2026-10-15 10:10", "approval 2026-10-20 14:45",
          "proposal 2026-10-26 09:30", "decision 2026-11-17 11:20"),
     dict(amount=890000, categories=["small"],
          needs="Два теплообменника для охлаждения ванны обезжиривания, 420 кВт каждый.", **CHECKED,
          proposals=options(("2 × Ридан НН №21", 640000), ("2 × Funke FP 31", 890000),
                            ("2 × Alfa Laval M10-BFG", 1160000))), ""),
    # ---- contract
    ("kuzmina-akadem", "kuzmina", "ivanov", "Блочный ИТП, ЖК «Академический», секция 4",
     path("lead 2026-08-25 10:30", "needs 2026-08-28 12:00", "approval 2026-09-03 16:20",
          "proposal 2026-09-10 10:00", "decision 2026-09-22 14:40", "contract 2026-11-21 11:15"),
     dict(amount=3150000, categories=["standard"],
          needs="ИТП секции 4: отопление, ГВС, вентиляция; нагрузка 0,9 Гкал/ч.", **CHECKED,
          proposals=options(("Блочный ИТП «Ридан» на базе НН №22", 2480000),
                            ("Блочный ИТП Danfoss Termix VVX-I", 3150000),
                            ("Блочный ИТП Alfa Laval AquaStar", 3720000)),
          equipment="Блочный ИТП Danfoss Termix VVX-I",
          install_address="г. Екатеринбург, ул. Вильгельма де Геннина, д. 35, ИТП секции 4",
          contract_type="standard",
          next_action="Отправить проект договора на подпись", next_action_due="2026-11-28"), ""),
    ("akhmetova-spd", "akhmetova", "smirnov", "Станция повышения давления, жилой дом на ул. Комсомольской",
     path("lead 2026-09-08 09:45", "needs 2026-09-11 15:30", "approval 2026-09-16 10:20",
          "proposal 2026-09-22 12:00", "decision 2026-10-05 16:10", "contract 2026-11-20 10:30"),
     dict(amount=690000, categories=["standard"],
          needs="Станция на два насоса для 16-этажного дома: расход 18 м³/ч, напор 55 м.", **CHECKED,
          proposals=options(("ДЕЛИ СПД-2 CDM 10-6", 690000), ("Wilo COR-2 Helix V 1006/SKw-EB-R", 935000),
                            ("Grundfos Hydro MPC-E 2 CR 10-6", 1210000)),
          equipment="ДЕЛИ СПД-2 CDM 10-6", install_address="г. Уфа, ул. Комсомольская, д. 106"), ""),
    # ---- negotiation
    ("morozov-spd", "morozov", "ivanov", "Насосная станция повышения давления, ЖК «Северный», корпус 2",
     path("lead 2026-08-11 10:00", "needs 2026-08-13 11:20", "approval 2026-08-18 15:40",
          "proposal 2026-08-25 10:30", "decision 2026-09-08 12:00", "contract 2026-09-29 14:15",
          "negotiation 2026-10-13 10:45"),
     dict(amount=1480000, categories=["standard"],
          needs="Станция на три насоса для корпуса 2: расход 32 м³/ч, напор 68 м.", **CHECKED,
          proposals=options(("ДЕЛИ СПД-3 CDM 15-5", 1120000), ("Wilo COR-3 Helix V 1606/SKw-EB-R", 1480000),
                            ("Grundfos Hydro MPC-E 3 CR 15-4", 1940000)),
          equipment="Wilo COR-3 Helix V 1606/SKw-EB-R",
          install_address="г. Нижний Новгород, ул. Родионова, д. 187, корп. 2", contract_type="custom",
          contract_changes="Оплата: 30% аванс, 70% через 45 дней после подписания акта.\n"
                           "Неустойка поставщика 0,1% в день, не более 10% от цены договора.\n"
                           "Гарантия 36 месяцев с даты ввода в эксплуатацию.",
          next_action="Согласовать протокол разногласий с юристами", next_action_due="2026-11-20"),
     "Юристы согласны на 36 месяцев гарантии, против отсрочки 45 дней. Ждём встречного предложения.\n"),
    ("belova-vns3", "belova", "smirnov", "Насосные агрегаты для водопроводной насосной станции № 3",
     path("lead 2026-07-20 11:00", "needs 2026-07-27 14:30", "approval 2026-08-05 10:10",
          "proposal 2026-08-17 15:20", "decision 2026-09-01 11:40", "contract 2026-10-02 16:00",
          "negotiation 2026-11-17 09:50"),
     dict(amount=2870000, categories=["large"],
          needs="Три агрегата второго подъёма, 800 м³/ч, напор 70 м, взамен изношенных Д 630-90.", **CHECKED,
          proposals=options(("3 × «Ливнынасос» 1Д 800-56", 2870000), ("3 × Wilo SCP 150/380HA", 3940000),
                            ("3 × Grundfos NBE 150-315", 4680000)),
          equipment="3 × «Ливнынасос» 1Д 800-56",
          install_address="г. Чебоксары, ул. Калинина, д. 109а, ВНС № 3", contract_type="custom",
          contract_changes="Договор по форме заказчика (223-ФЗ).\n"
                           "Обеспечение исполнения — банковская гарантия 5% от цены договора.\n"
                           "Оплата: 30% аванс, остаток в течение 30 дней после приёмки."), ""),
    # ---- invoice
    ("fedorov-losiny", "fedorov", "smirnov", "Насосная станция повышения давления, ЖК «Лосиный остров», корпус 1",
     path("lead 2026-07-06 10:30", "needs 2026-07-09 12:40", "approval 2026-07-14 15:10",
          "proposal 2026-07-21 11:00", "decision 2026-08-04 14:30", "contract 2026-08-25 10:20",
          "negotiation 2026-09-08 16:45", "invoice 2026-11-19 11:30"),
     dict(amount=3020000, categories=["standard"],
          needs="Станция на четыре насоса: расход 70 м³/ч, напор 85 м, резервный ввод питания.", **CHECKED,
          proposals=options(("ДЕЛИ СПД-4 CDM 20-6", 1760000), ("Wilo COR-4 Helix V 2205/SKw-EB-R", 2390000),
                            ("Grundfos Hydro MPC-E 4 CR 20-5", 3020000)),
          equipment="Grundfos Hydro MPC-E 4 CR 20-5",
          install_address="г. Москва, Ярославское ш., д. 124, корп. 1", contract_type="custom",
          contract_changes="Приёмка с участием технического надзора генподрядчика.\n"
                           "Гарантия 36 месяцев вместо 24.",
          contract_signed_on="2026-10-29", prepayment_invoice="СП-2026-0187", prepayment_amount=1510000,
          postpayment_amount=1510000,
          next_action="Напомнить об оплате счёта", next_action_due="2026-12-02"),
     "Договор согласовывали семь недель: генподрядчик дважды менял редакцию гарантийного раздела.\n"),
    ("garipov-ctp12", "garipov", "ivanov", "Циркуляционные насосы для ЦТП-12",
     path("lead 2026-09-29 09:30", "needs 2026-10-01 10:50", "approval 2026-10-06 14:00",
          "proposal 2026-10-09 11:10", "decision 2026-10-19 15:25", "contract 2026-10-28 10:40",
          "invoice 2026-11-20 12:15"),
     dict(amount=648000, categories=["small"],
          needs="Четыре циркуляционных насоса контура отопления: расход 24 м³/ч, напор 11 м.", **CHECKED,
          proposals=options(("4 × Джилекс Циркуль 40/120", 236000), ("4 × Wilo Stratos MAXO 50/0,5-12", 512000),
                            ("4 × Grundfos MAGNA3 50-120 F", 648000)),
          equipment="4 × Grundfos MAGNA3 50-120 F", install_address="г. Казань, ул. Чистопольская, д. 61, ЦТП-12",
          contract_type="standard", contract_signed_on="2026-11-10", prepayment_invoice="СП-2026-0203",
          prepayment_amount=324000, postpayment_amount=324000), ""),
    # ---- delivery
    ("lebedev-olimp", "lebedev", "petrova", "Блочно-модульная котельная 2 МВт, ФОК «Олимп»",
     path("lead 2026-05-18 10:00", "needs 2026-05-22 11:30", "approval 2026-05-28 14:20",
          "proposal 2026-06-08 10:40", "decision 2026-06-29 15:00", "contract 2026-07-20 11:10",
          "invoice 2026-08-10 09:50", "delivery 2026-09-02 14:30"),
     dict(amount=12950000, categories=["large"],
          needs="Отдельно стоящая БМК 2 МВт на газе для физкультурно-оздоровительного комплекса,\n"
                "резервное топливо — дизель, дымовая труба 18 м.", **CHECKED,
          proposals=options(("БМК «Энергия» 2 МВт с котлами Термотехник ТТ100", 10400000),
                            ("БМК 2 МВт с котлами ICI Caldaie REX 100", 12950000),
                            ("БМК 2 МВт с котлами Viessmann Vitoplex 100 PV1B", 15300000)),
          equipment="БМК 2 МВт с котлами ICI Caldaie REX 100",
          install_address="Самарская обл., г. Новокуйбышевск, ул. Суворова, д. 22", contract_type="standard",
          contract_signed_on="2026-08-07", prepayment_invoice="СП-2026-0131", prepayment_amount=6475000,
          postpayment_amount=6475000, prepayment_paid_on="2026-09-02"),
     "## Поставка\n\n"
     "- Модули отгружены 28.10, на объекте с 03.11.\n"
     "- Пусконаладку ждём после подключения газа: газовщики обещают до 10.12.\n"),
    ("sharipov-fire", "sharipov", "kuznetsova", "Насосная установка пожаротушения, склад готовой продукции",
     path("lead 2026-08-04 10:10", "needs 2026-08-06 13:40", "approval 2026-08-11 11:00",
          "proposal 2026-08-17 16:20", "decision 2026-08-28 10:30", "contract 2026-09-14 14:50",
          "invoice 2026-09-24 10:00", "delivery 2026-11-02 15:10"),
     dict(amount=1240000, categories=["standard"],
          needs="Установка пожаротушения склада: два насоса, расход 35 л/с, напор 50 м.", **CHECKED,
          proposals=options(("УНПС «Гранфлоу» 2 ЦН 80-250", 1240000), ("Wilo SiFire EN 80/250-250", 1690000),
                            ("Grundfos Hydro MX-A 1/1 NB 80-250", 2120000)),
          equipment="УНПС «Гранфлоу» 2 ЦН 80-250",
          install_address="г. Набережные Челны, Производственный пр., д. 45, склад № 2",
          contract_type="standard", contract_signed_on="2026-09-23", prepayment_invoice="СП-2026-0152",
          prepayment_amount=372000, postpayment_amount=868000, prepayment_paid_on="2026-11-02"), ""),
    # ---- acceptance
    ("grigoriev-ctp7", "grigoriev", "petrova", "Пластинчатые теплообменники, ЦТП № 7 в г. Бор",
     path("lead 2026-06-02 10:30", "needs 2026-06-04 14:00", "approval 2026-06-09 11:20",
          "proposal 2026-06-15 15:40", "decision 2026-06-26 10:10", "contract 2026-07-08 13:30",
          "invoice 2026-07-21 10:45", "delivery 2026-08-06 16:00", "acceptance 2026-11-20 11:30"),
     dict(amount=1180000, categories=["small", "standard"],
          needs="Два теплообменника отопления по 1,5 МВт взамен кожухотрубных подогревателей.", **CHECKED,
          proposals=options(("2 × Ридан НН №41", 1180000), ("2 × Funke FP 40", 1540000),
                            ("2 × Alfa Laval T10-MFG", 1930000)),
          equipment="2 × Ридан НН №41", install_address="Нижегородская обл., г. Бор, ул. Ленина, д. 97, ЦТП № 7",
          contract_type="standard", contract_signed_on="2026-07-20", prepayment_invoice="СП-2026-0118",
          prepayment_amount=590000, postpayment_amount=590000, prepayment_paid_on="2026-08-06",
          commissioned_on="2026-11-20",
          next_action="Получить подписанный акт приёмки", next_action_due="2026-12-01"), ""),
    ("ershov-itp", "ershov", "smirnov", "Блочный ИТП, логистический комплекс «Восток», корпус Б",
     path("lead 2026-07-13 11:00", "needs 2026-07-16 10:30", "approval 2026-07-21 14:10",
          "proposal 2026-07-28 12:20", "decision 2026-08-11 16:30", "contract 2026-08-24 10:00",
          "invoice 2026-09-04 11:40", "delivery 2026-09-21 15:20", "acceptance 2026-11-19 10:50"),
     dict(amount=2980000, categories=["standard"],
          needs="ИТП корпуса Б: отопление и воздушно-тепловые завесы ворот, нагрузка 0,8 Гкал/ч.", **CHECKED,
          proposals=options(("Блочный ИТП «Ридан» на базе НН №19", 1960000), ("Блочный ИТП Danfoss Termix", 2540000),
                            ("Блочный ИТП Alfa Laval AquaStar", 2980000)),
          equipment="Блочный ИТП Alfa Laval AquaStar",
          install_address="Пермский край, д. Кондратово, ул. Промышленная, д. 8, корпус Б",
          contract_type="standard", contract_signed_on="2026-09-03", prepayment_invoice="СП-2026-0144",
          prepayment_amount=1490000, postpayment_amount=1490000, prepayment_paid_on="2026-09-21",
          commissioned_on="2026-11-19"), ""),
    # ---- postpayment
    ("garipov-azino", "garipov", "ivanov", "Насосная станция повышения давления, ВНС «Азино»",
     path("lead 2026-05-12 10:15", "needs 2026-05-14 11:40", "approval 2026-05-19 15:00",
          "proposal 2026-05-25 10:30", "decision 2026-06-05 14:20", "contract 2026-06-17 11:00",
          "invoice 2026-06-30 10:10", "delivery 2026-07-14 16:30", "acceptance 2026-09-08 12:00",
          "postpayment 2026-10-02 15:45"),
     dict(amount=3560000, categories=["standard"],
          needs="Станция на три насоса для микрорайона Азино: расход 95 м³/ч, напор 48 м.", **CHECKED,
          proposals=options(("ДЕЛИ СПД-3 CDM 32-4", 2150000), ("Wilo COR-3 Helix V 3604/SKw-EB-R", 2870000),
                            ("Grundfos Hydro MPC-E 3 CR 32-4", 3560000)),
          equipment="Grundfos Hydro MPC-E 3 CR 32-4",
          install_address="г. Казань, ул. Юлиуса Фучика, д. 90, ВНС «Азино»", contract_type="standard",
          contract_signed_on="2026-06-29", prepayment_invoice="СП-2026-0098", prepayment_amount=1780000,
          postpayment_amount=1780000, prepayment_paid_on="2026-07-14", commissioned_on="2026-09-08",
          accepted_on="2026-10-02", attachments=["akt-priemki.pdf", "akt-pnr.pdf"],
          next_action="Напомнить о постоплате, срок по договору истёк 12.10", next_action_due="2026-11-30"),
     "Акт приёмки и акт пусконаладочных работ подписаны 02.10, сканы приложены.\n"
     "Постоплата задерживается: бюджет «Водоканал-Сервиса» на IV квартал утверждают в декабре.\n"),
    ("kuzmina-school180", "kuzmina", "kuznetsova", "Насосная установка пожаротушения, школа № 180",
     path("lead 2026-06-22 09:40", "needs 2026-06-24 13:10", "approval 2026-06-29 10:30",
          "proposal 2026-07-06 15:50", "decision 2026-07-17 11:20", "contract 2026-07-29 14:00",
          "invoice 2026-08-07 10:30", "delivery 2026-08-24 15:00", "acceptance 2026-10-12 11:10",
          "postpayment 2026-11-17 16:20"),
     dict(amount=1210000, categories=["standard"],
          needs="Установка пожаротушения для новой школы на 1100 мест: два насоса, 20 л/с, напор 45 м.",
          **CHECKED,
          proposals=options(("УНПС «Гранфлоу» 2 ЦН 50-200", 860000), ("Wilo SiFire EN 50/200-190", 1210000),
                            ("Grundfos Hydro MX-A 1/1 NB 50-200", 1530000)),
          equipment="Wilo SiFire EN 50/200-190", install_address="г. Екатеринбург, ул. Фронтовых Бригад, д. 18а",
          contract_type="standard", contract_signed_on="2026-08-06", prepayment_invoice="СП-2026-0127",
          prepayment_amount=363000, postpayment_amount=847000, prepayment_paid_on="2026-08-24",
          commissioned_on="2026-10-12", accepted_on="2026-11-17", attachments=["akt-priemki.pdf"]), ""),
    # ---- won
    ("garipov-gorki", "garipov", "ivanov", "Насосная станция повышения давления, ВНС «Горки»",
     path("lead 2026-01-19 10:20", "needs 2026-01-21 11:00", "approval 2026-01-26 14:30",
          "proposal 2026-02-02 10:10", "decision 2026-02-13 15:40", "contract 2026-02-27 11:20",
          "negotiation 2026-03-10 10:00", "invoice 2026-03-24 12:30", "delivery 2026-04-08 15:10",
          "acceptance 2026-05-20 11:40", "postpayment 2026-06-01 10:20", "won 2026-06-15 16:00"),
     dict(amount=2460000, categories=["standard"],
          needs="Замена станции 1998 года на три насоса с частотным регулированием: 55 м³/ч, напор 60 м.",
          **CHECKED,
          proposals=options(("ДЕЛИ СПД-3 CDM 20-5", 1480000), ("Wilo COR-3 Helix V 2205/SKw-EB-R", 1990000),
                            ("Grundfos Hydro MPC-E 3 CR 20-5", 2460000)),
          equipment="Grundfos Hydro MPC-E 3 CR 20-5", install_address="г. Казань, пр. Победы, д. 226, ВНС «Горки»",
          contract_type="custom",
          contract_changes="Постоплата в течение 30 дней после подписания акта вместо 10.\n"
                           "Пусконаладка в ночное окно с 23:00 до 05:00 без остановки водоснабжения.",
          contract_signed_on="2026-03-23", prepayment_invoice="СП-2026-0031", prepayment_amount=1230000,
          postpayment_amount=1230000, prepayment_paid_on="2026-04-08", commissioned_on="2026-05-20",
          accepted_on="2026-06-01", attachments=["akt-priemki.pdf"], postpayment_paid_on="2026-06-15"),
     "Первая сделка с «Водоканал-Сервисом». Работы на действующей станции — только ночью.\n"),
    ("morozov-bmk", "morozov", "ivanov", "Блочно-модульная котельная 3 МВт, ЖК «Северный»",
     path("lead 2026-02-09 11:00", "needs 2026-02-12 10:30", "approval 2026-02-17 15:20",
          "proposal 2026-02-24 11:40", "decision 2026-03-10 14:00", "proposal 2026-03-16 10:30",
          "decision 2026-03-27 16:10", "contract 2026-04-08 11:50", "invoice 2026-04-20 10:00",
          "delivery 2026-05-06 14:40", "acceptance 2026-07-01 12:20", "postpayment 2026-07-14 10:10",
          "won 2026-07-30 15:30"),
     dict(amount=16900000, categories=["large"],
          needs="Крышная котельная не согласована — нужна отдельно стоящая БМК 3 МВт на газе для трёх\n"
                "корпусов ЖК, с узлом учёта газа и диспетчеризацией.", **CHECKED,
          proposals=options(("БМК «Энергия» 3 МВт с котлами Термотехник ТТ100", 13600000),
                            ("БМК 3 МВт с котлами ICI Caldaie REX 150", 16900000),
                            ("БМК 3 МВт с котлами Viessmann Vitoplex 100 PV1B", 19800000)),
          equipment="БМК 3 МВт с котлами ICI Caldaie REX 150",
          install_address="г. Нижний Новгород, ул. Родионова, д. 187, котельная ЖК «Северный»",
          contract_type="standard", contract_signed_on="2026-04-17", prepayment_invoice="СП-2026-0054",
          prepayment_amount=5070000, postpayment_amount=11830000, prepayment_paid_on="2026-05-06",
          commissioned_on="2026-07-01", accepted_on="2026-07-14", attachments=["akt-priemki.pdf"],
          postpayment_paid_on="2026-07-30"),
     "16.03 застройщик вернул КП: попросил варианты на двух котлах вместо трёх. Пересчитали, новое КП\n"
     "отправлено 27.03, выбран средний вариант.\n"),
    ("nikitina-main", "nikitina", "petrova", "Пластинчатые теплообменники ГВС, главный корпус",
     path("lead 2026-03-02 09:50", "needs 2026-03-04 11:10", "approval 2026-03-10 14:40",
          "proposal 2026-03-16 10:20", "decision 2026-03-25 15:30", "contract 2026-04-06 11:00",
          "invoice 2026-04-15 10:40", "delivery 2026-04-27 14:10", "acceptance 2026-05-18 11:30",
          "postpayment 2026-05-25 10:00", "won 2026-06-08 12:40"),
     dict(amount=372000, categories=["small"],
          needs="Два теплообменника ГВС по 250 кВт, работа в паре с резервированием.", **CHECKED,
          proposals=options(("2 × Ридан НН №14", 372000), ("2 × Funke FP 22", 508000),
                            ("2 × Alfa Laval T5-MFG", 636000)),
          equipment="2 × Ридан НН №14", install_address="г. Казань, ул. Маршала Чуйкова, д. 54, главный корпус",
          contract_type="standard", contract_signed_on="2026-04-14", prepayment_invoice="СП-2026-0049",
          prepayment_amount=111600, postpayment_amount=260400, prepayment_paid_on="2026-04-27",
          commissioned_on="2026-05-18", accepted_on="2026-05-25", attachments=["akt-priemki.pdf"],
          postpayment_paid_on="2026-06-08"), ""),
    ("sharipov-boiler", "sharipov", "kuznetsova", "Водогрейный котёл, котельная цеха № 3",
     path("lead 2026-04-06 10:00", "needs 2026-04-08 13:20", "approval 2026-04-13 11:10",
          "proposal 2026-04-20 15:00", "decision 2026-05-04 10:40", "contract 2026-05-15 14:30",
          "invoice 2026-05-26 11:00", "delivery 2026-06-10 15:40", "acceptance 2026-07-21 10:30",
          "postpayment 2026-07-28 14:00", "won 2026-08-19 11:20"),
     dict(amount="2418755", categories=["standard"],
          needs="Замена котла ДКВР в котельной цеха № 3: 1,5 МВт, газ, работа круглый год.", **CHECKED,
          proposals=options(("Котёл Термотехник ТТ100 1500 кВт", 1790000), ("Котёл ICI Caldaie REX 150", 2418755),
                            ("Котёл Buderus Logano SK755 1500 кВт", 3140000)),
          equipment="Котёл ICI Caldaie REX 150",
          install_address="г. Набережные Челны, Производственный пр., д. 45, котельная цеха № 3",
          contract_type="standard", contract_signed_on="2026-05-25", prepayment_invoice="СП-2026-0071",
          prepayment_amount="725626.50", postpayment_amount="1693128.50", prepayment_paid_on="2026-06-10",
          commissioned_on="2026-07-21", accepted_on="2026-07-28", attachments=["akt-priemki.pdf"],
          postpayment_paid_on="2026-08-19"), ""),
    ("sokolov-boiler", "sokolov", "petrova", "Газовый котёл Viessmann, загородный дом",
     path("lead 2026-08-03 18:10", "needs 2026-08-04 10:30", "approval 2026-08-06 12:00",
          "proposal 2026-08-10 11:15", "decision 2026-08-13 16:40", "contract 2026-08-18 10:20",
          "invoice 2026-08-20 11:30", "delivery 2026-08-27 15:00", "acceptance 2026-09-10 13:10",
          "postpayment 2026-09-11 10:00", "won 2026-09-18 17:30"),
     dict(amount=176500, categories=["ultra_small"],
          needs="Настенный конденсационный котёл 35 кВт для дома 240 м², монтаж до отопительного сезона.",
          **CHECKED,
          proposals=options(("Котёл Лемакс Premium-35", 74000), ("Котёл Baxi Luna-3 Comfort 310 Fi", 98000),
                            ("Котёл Viessmann Vitodens 200-W 35 кВт", 176500)),
          equipment="Котёл Viessmann Vitodens 200-W 35 кВт",
          install_address="Республика Татарстан, пос. Светлое Озеро, ул. Сосновая, д. 7",
          contract_type="standard", contract_signed_on="2026-08-19", prepayment_invoice="СП-2026-0135",
          prepayment_amount=88250, postpayment_amount=88250, prepayment_paid_on="2026-08-27",
          commissioned_on="2026-09-10", accepted_on="2026-09-11", attachments=["akt-priemki.pdf"],
          postpayment_paid_on="2026-09-18"), ""),
    ("kuzmina-malevich", "kuzmina", "ivanov", "Циркуляционные насосы, ЖК «Малевич»",
     path("lead 2026-05-04 11:30", "needs 2026-05-06 10:10", "approval 2026-05-12 14:50",
          "proposal 2026-05-18 11:20", "decision 2026-05-27 15:10", "contract 2026-06-08 10:40",
          "invoice 2026-06-16 12:00", "delivery 2026-07-01 14:20", "acceptance 2026-07-22 11:00",
          "postpayment 2026-07-29 10:30", "won 2026-09-09 15:50"),
     dict(amount=756000, categories=["ultra_small", "small"],
          needs="Шесть циркуляционных насосов для ИТП секций 1–3: расход 14 м³/ч, напор 9 м.", **CHECKED,
          proposals=options(("6 × Джилекс Циркуль 32/80", 294000), ("6 × Wilo Stratos MAXO 40/0,5-12", 756000),
                            ("6 × Grundfos MAGNA3 40-120 F", 1026000)),
          equipment="6 × Wilo Stratos MAXO 40/0,5-12",
          install_address="г. Екатеринбург, ул. Малышева, д. 145, ИТП секций 1–3", contract_type="standard",
          contract_signed_on="2026-06-15", prepayment_invoice="СП-2026-0091", prepayment_amount=378000,
          postpayment_amount=378000, prepayment_paid_on="2026-07-01", commissioned_on="2026-07-22",
          accepted_on="2026-07-29", attachments=["akt-priemki.pdf"], postpayment_paid_on="2026-09-09"),
     "Постоплата пришла с опозданием на месяц: заказчик ждал оплаты от своего инвестора.\n"),
    # ---- lost
    ("zaytsev-greenhouse", "zaytsev", "smirnov", "Котельная для отопления теплиц, тепличный комплекс «Заречный»",
     path("lead 2026-06-15 10:40", "needs 2026-06-18 14:10", "approval 2026-06-23 11:30",
          "lost 2026-07-01 16:00"),
     dict(amount=11500000, categories=["large"],
          needs="БМК 4 МВт для отопления 3 га теплиц, работа на газе, запуск к октябрю.",
          finance_check="banned", legal_check="passed", loss_reason="finance_ban",
          loss_comment="Финансовый отдел запретил работу: три иска поставщиков в картотеке арбитражных дел,\n"
                       "счета клиента арестованы налоговой.", lost_at="approval"),
     "Клиент просил отсрочку 100% на 6 месяцев — это и насторожило финансовый отдел.\n"),
    ("karpov-spd", "karpov", "petrova", "Станция повышения давления, жилой дом в Уфе",
     path("lead 2026-09-14 12:10", "needs 2026-09-16 10:20", "approval 2026-09-18 15:00",
          "lost 2026-09-25 11:40"),
     dict(amount=1350000, categories=["standard"],
          needs="Станция на три насоса для 17-этажного жилого дома, расход 22 м³/ч, напор 70 м.",
          finance_check="approved", legal_check="failed", loss_reason="finance_ban",
          loss_comment="Юристы не пропустили контрагента: зарегистрирован два месяца назад по массовому адресу,\n"
                       "директор числится руководителем ещё в 14 организациях.", lost_at="approval"), ""),
    ("belova-kns9", "belova", "smirnov", "Канализационная насосная станция КНС-9, ул. Гражданская",
     path("lead 2026-03-16 10:30", "needs 2026-03-20 14:00", "approval 2026-03-26 11:20",
          "proposal 2026-04-06 15:10", "decision 2026-04-20 10:50", "contract 2026-05-12 14:30",
          "negotiation 2026-05-25 11:00", "lost 2026-06-22 15:20"),
     dict(amount=2340000, categories=["standard", "large"],
          needs="Реконструкция КНС-9: корпус Ø2000, два насоса по 90 м³/ч, напор 22 м.", **CHECKED,
          proposals=options(("КНС «Гидротех» Ø2000 с насосами ЦМК 100-40", 2340000),
                            ("КНС Ø2000 с насосами Wilo Rexa PRO", 3120000),
                            ("КНС Ø2000 с насосами Grundfos SE1.80.100", 3780000)),
          equipment="КНС «Гидротех» Ø2000 с насосами ЦМК 100-40",
          install_address="г. Чебоксары, ул. Гражданская, д. 75, КНС-9", contract_type="custom",
          contract_changes="Договор по форме заказчика.\nНеустойка 0,5% в день без ограничения суммы.\n"
                           "Оплата 100% через 90 дней после приёмки.",
          loss_reason="contract_terms",
          loss_comment="Не договорились по договору: МУП не уступил ни по неустойке без ограничения,\n"
                       "ни по оплате через 90 дней без аванса. Юристы против таких рисков.",
          lost_at="negotiation"), ""),
    ("fedorov-citypark", "fedorov", "smirnov", "Водогрейные котлы, котельная БЦ «Сити-Парк»",
     path("lead 2026-04-13 11:10", "needs 2026-04-15 10:00", "approval 2026-04-21 14:30",
          "proposal 2026-04-28 11:40", "decision 2026-05-13 16:00", "lost 2026-06-03 12:10"),
     dict(amount=4200000, categories=["standard"],
          needs="Два котла по 1 МВт в крышную котельную бизнес-центра.", **CHECKED,
          proposals=options(("2 × Котёл Термотехник ТТ100 1000 кВт", 2900000),
                            ("2 × Котёл ICI Caldaie REX 100", 4200000),
                            ("2 × Котёл Buderus Logano SK755 1040 кВт", 5500000)),
          loss_reason="price",
          loss_comment="Инвестор урезал смету котельной: даже эконом-вариант на 18% выше бюджета.",
          lost_at="decision"), ""),
    ("lebedev-zori", "lebedev", "petrova", "Насосная станция повышения давления, ЖК «Волжские зори»",
     path("lead 2026-07-27 10:50", "needs 2026-07-29 13:30", "approval 2026-08-03 11:00",
          "proposal 2026-08-10 15:20", "decision 2026-08-24 10:10", "contract 2026-09-03 14:40",
          "invoice 2026-09-15 11:20", "lost 2026-10-30 17:00"),
     dict(amount=1390000, categories=["standard"],
          needs="Станция на три насоса для корпуса 4: расход 30 м³/ч, напор 58 м.", **CHECKED,
          proposals=options(("ДЕЛИ СПД-3 CDM 15-4", 1030000), ("Wilo COR-3 Helix V 1605/SKw-EB-R", 1390000),
                            ("Grundfos Hydro MPC-E 3 CR 15-3", 1820000)),
          equipment="Wilo COR-3 Helix V 1605/SKw-EB-R",
          install_address="г. Самара, Московское ш., д. 262, ЖК «Волжские зори», корпус 4",
          contract_type="standard", contract_signed_on="2026-09-12", prepayment_invoice="СП-2026-0149",
          prepayment_amount=695000, postpayment_amount=695000, loss_reason="vanished",
          loss_comment="Счёт на предоплату не оплачен. С 10.10 Лебедев не отвечает на звонки и письма,\n"
                       "в офисе говорят, что генподрядчик объекта сменился.", lost_at="invoice"),
     "## Попытки связаться\n\n- 06.10, 13.10, 20.10 — звонки без ответа.\n- 22.10 — письмо директору, ответа нет.\n"),
    ("nikitina-fire", "nikitina", "petrova", "Насосная установка пожаротушения, инфекционный корпус",
     path("lead 2026-08-17 10:00", "needs 2026-08-19 11:50", "approval 2026-08-25 15:10",
          "proposal 2026-09-01 10:30", "lost 2026-09-29 14:20"),
     dict(amount=1300000, categories=["standard"],
          needs="Установка пожаротушения нового инфекционного корпуса: два насоса, 25 л/с, напор 55 м.",
          **CHECKED, loss_reason="other_supplier",
          loss_comment="Больница вынесла закупку на аукцион по 44-ФЗ, победил поставщик с оборудованием ГРАНФЛОУ.",
          lost_at="proposal"),
     ""),
    ("sokolov-pool", "sokolov", "petrova", "Теплообменник для бассейна, загородный дом",
     path("lead 2026-04-27 19:20", "needs 2026-04-29 11:00", "lost 2026-05-20 10:40"),
     dict(amount=95000, categories=["ultra_small"],
          needs="Теплообменник для подогрева воды в бассейне 30 м³ от котла отопления.",
          loss_reason="no_need", loss_comment="Строительство бассейна перенесли на следующий год.", lost_at="needs"),
     ""),
    ("sharipov-cooling", "sharipov", "kuznetsova", "Насосы оборотного водоснабжения, градирня цеха № 5",
     path("lead 2026-02-16 10:20", "needs 2026-02-18 14:00", "approval 2026-02-24 11:30",
          "proposal 2026-03-02 15:40", "decision 2026-03-12 10:10", "contract 2026-03-20 14:20",
          "lost 2026-03-27 16:30"),
     dict(amount=2760000, categories=["large"],
          needs="Два насоса оборотного цикла по 900 м³/ч к остановочному ремонту цеха в апреле.", **CHECKED,
          proposals=options(("2 × «Ливнынасос» Д 630-90", 1460000), ("2 × Wilo SCP 200/360HA", 2180000),
                            ("2 × Grundfos NB 150-400", 2760000)),
          equipment="2 × Grundfos NB 150-400",
          install_address="г. Набережные Челны, Производственный пр., д. 45, градирня цеха № 5",
          contract_type="standard", loss_reason="delivery_terms",
          loss_comment="Насосы нужны за три недели к остановочному ремонту, наш срок поставки Grundfos —\n"
                       "десять недель. Купили у дилера со склада.", lost_at="contract"), ""),
]


def build_deal(key: str, contact: str, owner: str, title: str, history: list, extra: dict) -> tuple[dict, dict]:
    """Front matter of one deal (typed values) and its attachments {file name: bytes}."""
    moments = [(stage, datetime.fromisoformat(at).replace(tzinfo=MOSCOW)) for stage, at in history]
    stage = moments[-1][0]
    deal = {"id": stable_id("d-", key), "title": title, "contact": stable_id("c-", contact), "stage": stage,
            "owner": owner, "created": moments[0][1].date()}
    attachments = {}
    for name, value in extra.items():
        if name == "attachments":
            continue
        if name in AMOUNT_FIELDS:
            value = Decimal(str(value))
        elif name in DATE_FIELDS:
            value = date.fromisoformat(value)
        deal[name] = value
    for file_name in extra.get("attachments", []):
        title_line = {"akt-priemki.pdf": "AKT PRIEMKI OBORUDOVANIYA", "akt-pnr.pdf": "AKT PUSKO-NALADOCHNYKH RABOT"}
        scan = pdf_bytes([title_line[file_name], f"Sdelka {deal['id']}",
                          f"Data podpisaniya: {extra['accepted_on']}", "Podpisi storon i pechati - na skane."])
        attachments[file_name] = scan
    if attachments:
        deal["acceptance_docs"] = [{"path": f"deals/{deal['id']}/{name}", "sha256": hashlib.sha256(data).hexdigest()}
                                   for name, data in attachments.items()]
    deal["history"] = [{"stage": s, "at": moment} for s, moment in moments]
    return deal, attachments


def repeat_clients() -> set[str]:
    """Keys of the deals whose counterparty (the same contact, or a contact of the same company) had a deal
    that started earlier: only these carry a debt check."""
    def counterparty(contact: str) -> set[str]:
        company = CONTACTS[contact].get("company")
        return {contact} | ({" ".join(company.split()).casefold()} if company else set())

    starts = sorted((history[0][1], key, contact) for key, contact, _, _, history, _, _ in DEALS)
    seen: set[str] = set()
    repeat = set()
    for _, key, contact in starts:
        if counterparty(contact) & seen:
            repeat.add(key)
        seen |= counterparty(contact)
    return repeat


def write_demo(root: Path) -> None:
    contacts_dir, deals_dir = root / "contacts", root / "deals"
    for directory in (contacts_dir, deals_dir):
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
    for key, fields in CONTACTS.items():
        record = {"id": stable_id("c-", key), **fields}
        (contacts_dir / f"{record['id']}.md").write_bytes(render_record(record, key_order=CONTACT_KEYS).encode())
    ids = {stable_id("c-", key) for key in CONTACTS}
    repeat = repeat_clients()
    for key, contact, owner, title, history, extra, body in DEALS:
        if key not in repeat:  # the debt check is asked of repeat clients only (the schema's `when`)
            extra = {name: value for name, value in extra.items() if name != "debt_check"}
        deal, attachments = build_deal(key, contact, owner, title, history, extra)
        assert deal["id"] not in ids, f"id collision for {key}"
        ids.add(deal["id"])
        (deals_dir / f"{deal['id']}.md").write_bytes(render_record(deal, body, DEAL_KEYS).encode())
        for name, data in attachments.items():
            (deals_dir / deal["id"]).mkdir(exist_ok=True)
            (deals_dir / deal["id"] / name).write_bytes(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="example: python benchmarks/make_demo.py --root /tmp/demo")
    parser.add_argument("--root", type=Path, default=HERE.parent, help="workspace root (default: the repository)")
    args = parser.parse_args(argv)
    write_demo(args.root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
