"""Generate the bundled sample catalog (data/sample_catalog.jsonl): synthetic, realistic, deterministic.

Products are composed from per-category vocabularies (brands, product types, materials, features,
price bands); about a tenth are Chinese listings. Sales follow a heavy-tailed popularity skew, some
products come in colour variants sharing a ``group_id``, and a few are out of stock.

    python scripts/make_sample_catalog.py [--count 2000] [--seed 7] [--out data/sample_catalog.jsonl]
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import datetime, timedelta
from pathlib import Path

# category path: (brands, product types, materials/styles, features, (min price, max price))
CATALOG = {
    "Home > Kitchen > Knives": (
        ["Wüsthof", "Victorinox", "Global", "Shun", "Zwilling", "Mercer"],
        ["chef knife", "paring knife", "bread knife", "santoku knife", "utility knife", "boning knife", "knife set"],
        ["stainless steel", "Damascus steel", "high-carbon steel", "ceramic"],
        ["razor-sharp edge", "full tang", "ergonomic handle", "dishwasher safe", "forged blade", "includes sheath"],
        (12, 320),
    ),
    "Home > Kitchen > Cookware": (
        ["Le Creuset", "Lodge", "T-fal", "All-Clad", "Tramontina", "Calphalon"],
        ["cast iron skillet", "nonstick frying pan", "dutch oven", "saucepan", "stock pot", "wok", "grill pan"],
        ["cast iron", "stainless steel", "hard-anodized aluminium", "enamelled cast iron", "copper core"],
        [
            "oven safe to 260°C",
            "induction compatible",
            "PFOA-free coating",
            "even heat distribution",
            "stay-cool handle",
            "pre-seasoned",
        ],
        (18, 420),
    ),
    "Home > Kitchen > Coffee & Tea": (
        ["Breville", "De'Longhi", "Bodum", "Hario", "Nespresso", "Fellow"],
        ["espresso machine", "french press", "pour-over kettle", "burr coffee grinder", "tea infuser", "milk frother"],
        ["brushed stainless", "borosilicate glass", "matte black", "ceramic"],
        ["15-bar pump", "temperature control", "gooseneck spout", "one-touch brewing", "easy to clean", "makes 8 cups"],
        (15, 700),
    ),
    "Home > Furniture > Office": (
        ["Herman Miller", "IKEA", "Steelcase", "Flexispot", "Autonomous"],
        ["ergonomic office chair", "standing desk", "monitor arm", "desk lamp", "filing cabinet"],
        ["mesh", "solid oak", "steel frame", "walnut veneer"],
        ["adjustable lumbar support", "height adjustable", "memory presets", "cable management", "easy assembly"],
        (30, 1400),
    ),
    "Electronics > Audio > Headphones": (
        ["Sony", "Bose", "Sennheiser", "JBL", "Anker", "Apple"],
        [
            "wireless headphones",
            "noise cancelling earbuds",
            "over-ear headphones",
            "sports earbuds",
            "studio monitor headphones",
        ],
        ["matte black", "silver", "midnight blue", "white"],
        [
            "active noise cancellation",
            "30-hour battery",
            "bluetooth 5.3",
            "water resistant",
            "built-in microphone",
            "fast charging",
        ],
        (20, 450),
    ),
    "Electronics > Audio > Speakers": (
        ["JBL", "Bose", "Sonos", "Anker", "Marshall", "Ultimate Ears"],
        ["bluetooth speaker", "smart speaker", "soundbar", "portable speaker", "bookshelf speakers"],
        ["fabric", "black", "sand", "forest green"],
        ["360° sound", "waterproof IP67", "voice assistant", "multi-room audio", "deep bass", "20-hour playtime"],
        (25, 900),
    ),
    "Electronics > Computers > Accessories": (
        ["Logitech", "Razer", "Anker", "Keychron", "Corsair", "Dell"],
        ["wireless mouse", "mechanical keyboard", "USB-C hub", "laptop stand", "webcam", "gaming mouse pad"],
        ["aluminium", "black", "white", "space grey"],
        [
            "hot-swappable switches",
            "RGB backlight",
            "4K 60Hz HDMI",
            "plug and play",
            "ergonomic design",
            "multi-device pairing",
        ],
        (10, 250),
    ),
    "Electronics > Phones > Accessories": (
        ["Anker", "Belkin", "Spigen", "OtterBox", "Ugreen", "Baseus"],
        ["phone case", "fast charger", "power bank", "screen protector", "charging cable", "wireless charging pad"],
        ["clear", "black", "tempered glass", "braided nylon", "silicone"],
        ["65W fast charging", "drop protection", "20000mAh capacity", "MagSafe compatible", "scratch resistant"],
        (6, 120),
    ),
    "Sports > Running > Shoes": (
        ["Nike", "Adidas", "Asics", "Brooks", "Hoka", "New Balance"],
        ["running shoes", "trail running shoes", "racing flats", "stability running shoes"],
        ["mesh upper", "knit upper", "carbon plate", "gore-tex"],
        ["responsive cushioning", "breathable", "lightweight", "grippy outsole", "wide fit available"],
        (45, 260),
    ),
    "Sports > Fitness > Equipment": (
        ["Bowflex", "Gaiam", "Manduka", "Rogue", "TRX", "Decathlon"],
        ["yoga mat", "adjustable dumbbells", "resistance bands", "kettlebell", "foam roller", "jump rope"],
        ["natural rubber", "cast iron", "TPE", "latex-free"],
        ["non-slip surface", "space saving", "for home workouts", "includes carry strap", "eco-friendly"],
        (8, 480),
    ),
    "Sports > Outdoor > Camping": (
        ["Coleman", "MSR", "Black Diamond", "Osprey", "Therm-a-Rest", "Naturehike"],
        ["camping tent", "sleeping bag", "headlamp", "hiking backpack", "camping stove", "sleeping pad"],
        ["ripstop nylon", "down fill", "aluminium poles", "synthetic insulation"],
        ["2-person", "ultralight", "waterproof", "rated to -5°C", "quick setup", "400 lumens"],
        (15, 600),
    ),
    "Clothing > Men > Jackets": (
        ["The North Face", "Patagonia", "Columbia", "Uniqlo", "Arc'teryx"],
        ["rain jacket", "down jacket", "fleece jacket", "softshell jacket", "windbreaker"],
        ["navy", "black", "olive", "red", "grey"],
        ["packable", "windproof", "recycled materials", "adjustable hood", "zip pockets"],
        (35, 650),
    ),
    "Clothing > Women > Dresses": (
        ["Zara", "H&M", "Mango", "Reformation", "Uniqlo"],
        ["summer dress", "maxi dress", "wrap dress", "midi dress", "linen shirt dress"],
        ["floral print", "black", "sage green", "linen", "cotton"],
        ["breathable fabric", "machine washable", "flattering fit", "with pockets", "adjustable straps"],
        (20, 240),
    ),
    "Beauty > Skincare": (
        ["CeraVe", "La Roche-Posay", "The Ordinary", "Neutrogena", "Kiehl's"],
        ["moisturizing cream", "sunscreen SPF 50", "vitamin C serum", "foaming cleanser", "retinol night cream"],
        ["fragrance-free", "for sensitive skin", "for oily skin", "for dry skin"],
        ["with hyaluronic acid", "non-comedogenic", "dermatologist tested", "with niacinamide", "vegan formula"],
        (6, 90),
    ),
    "Pet Supplies > Dogs": (
        ["Kong", "Purina", "Ruffwear", "Blue Buffalo", "PetSafe"],
        ["chew toy", "dog harness", "orthopedic dog bed", "dry dog food", "retractable leash"],
        ["durable rubber", "reflective", "memory foam", "grain-free"],
        ["for large dogs", "for puppies", "machine washable cover", "no-pull design", "vet recommended"],
        (7, 160),
    ),
    "Toys > Building Sets": (
        ["LEGO", "Mega Bloks", "Playmobil", "K'NEX"],
        ["castle building set", "space shuttle kit", "city fire station", "race car set", "dinosaur park set"],
        ["classic bricks", "technic parts", "creative pieces"],
        ["ages 6+", "ages 8+", "over 500 pieces", "compatible with classic bricks", "great gift"],
        (10, 200),
    ),
    "家居 > 厨房 > 刀具": (
        ["张小泉", "双立人", "十八子作", "王麻子"],
        ["菜刀", "切片刀", "水果刀", "刀具套装", "斩骨刀", "厨师刀"],
        ["不锈钢", "大马士革钢", "高碳钢"],
        ["锋利耐用", "防滑手柄", "一体成型", "家用厨房"],
        (29, 899),
    ),
    "数码 > 手机配件": (
        ["小米", "华为", "倍思", "绿联", "安克"],
        ["充电宝", "快充充电器", "数据线", "手机壳", "蓝牙耳机", "无线充电器"],
        ["白色", "黑色", "透明"],
        ["大容量", "支持快充", "轻薄便携", "降噪"],
        (19, 599),
    ),
    "食品 > 茶叶": (
        ["天福茗茶", "八马", "中茶", "艺福堂"],
        ["西湖龙井", "大红袍", "普洱茶", "铁观音", "茉莉花茶", "白茶"],
        ["礼盒装", "罐装", "袋装"],
        ["明前新茶", "浓香型", "高山茶园", "送礼佳品"],
        (35, 1200),
    ),
    "服饰 > 女装": (
        ["太平鸟", "波司登", "优衣库", "ONLY"],
        ["连衣裙", "羽绒服", "针织衫", "风衣", "半身裙"],
        ["黑色", "米白色", "酒红色", "藏青色"],
        ["修身显瘦", "保暖", "百搭", "新款"],
        (59, 1599),
    ),
}
SIZES = {
    "Sports > Running > Shoes": ["US 7", "US 8", "US 9", "US 10", "US 11"],
    "Clothing > Men > Jackets": ["S", "M", "L", "XL"],
    "Clothing > Women > Dresses": ["XS", "S", "M", "L"],
    "服饰 > 女装": ["S", "M", "L"],
}


def is_chinese(path: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in path)


def describe(rng: random.Random, path: str, brand: str, kind: str, material: str, features: list[str]) -> str:
    chosen = rng.sample(features, k=min(3, len(features)))
    if is_chinese(path):
        return f"{brand}{kind}，{material}，{'，'.join(chosen)}。品质保证，全国包邮。"
    leaf = path.split(" > ")[-1].lower()
    return (
        f"The {brand} {kind} in {material}: {', '.join(chosen[:-1])} and {chosen[-1]}. "
        f"A dependable choice for {leaf}, backed by a one-year warranty."
    )


def make_product(rng: random.Random, number: int, path: str, now: datetime) -> dict:
    brands, kinds, materials, features, (low, high) = CATALOG[path]
    brand, kind, material = rng.choice(brands), rng.choice(kinds), rng.choice(materials)
    extra = rng.choice(features)
    title = f"{brand} {material}{kind} {extra}" if is_chinese(path) else f"{brand} {kind}, {material}, {extra}"
    price = round(min(high, max(low, rng.lognormvariate(0, 0.6) * (low + high) / 4)), 2)
    product = {
        "id": f"P{number:05d}",
        "title": title,
        "description": describe(rng, path, brand, kind, material, features),
        "category": path,
        "brand": brand,
        "tags": rng.sample(features, k=2),
        "price": price,
        "sales": int(rng.paretovariate(1.2) * 10) - 10 + rng.randint(0, 5),
        "stock": 0 if rng.random() < 0.07 else rng.randint(1, 400),
        "rating": round(rng.uniform(3.2, 5.0), 1),
        "created_at": (now - timedelta(days=rng.randint(0, 720))).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "material": material,
    }
    if path in SIZES:
        product["size"] = rng.choice(SIZES[path])
    return product


def colour_variants(rng: random.Random, product: dict, start: int) -> list[dict]:
    """Two or three colourways of one product, sharing a group_id."""
    colours = rng.sample(["black", "white", "red", "blue", "green", "grey"], k=rng.randint(2, 3))
    variants = []
    for offset, colour in enumerate(colours):
        variant = {**product, "id": f"P{start + offset:05d}", "color": colour, "group_id": product["id"]}
        variant["title"] = f"{product['title']} ({colour})"
        variant["sales"] = max(0, product["sales"] + rng.randint(-5, 5))
        variants.append(variant)
    return variants


def generate(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    now = datetime(2026, 11, 1)
    paths = list(CATALOG)
    weights = [0.5 if is_chinese(p) else 1.0 for p in paths]  # about a tenth in Chinese
    products: list[dict] = []
    while len(products) < count:
        product = make_product(rng, len(products) + 1, rng.choices(paths, weights)[0], now)
        if rng.random() < 0.05 and not is_chinese(product["category"]):
            products.extend(colour_variants(rng, product, len(products) + 1))
        else:
            products.append(product)
    return products[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parents[1] / "data" / "sample_catalog.jsonl"
    )
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as handle:
        for product in generate(args.count, args.seed):
            handle.write(json.dumps(product, ensure_ascii=False) + "\n")
    print(f"wrote {args.count} products to {args.out}")


if __name__ == "__main__":
    main()
