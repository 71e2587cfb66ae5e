"""Make the bundled judgments (data/judgments.csv) for the sample catalog, from the catalog's structure.

Grades come from what each product *is* (its product type, brand and category as the generator
built them), never from any search system, so every profile is judged by the same outside truth:
  3  the product type asked for (and the brand, when the query names one)
  2  the product type asked for, another brand (brand queries only)
  1  another product of the same leaf category
Queries mix plain product types, brand + type, paraphrases that share no word with the titles,
and Chinese. Run: python scripts/make_judgments.py
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from make_sample_catalog import CATALOG

ROOT = Path(__file__).resolve().parents[1]
# query -> (category path, product types that are exact answers, brand or None)
QUERIES = {
    "chef knife": ("Home > Kitchen > Knives", ["chef knife"], None),
    "bread knife": ("Home > Kitchen > Knives", ["bread knife"], None),
    "blade for slicing vegetables": ("Home > Kitchen > Knives", ["chef knife", "santoku knife", "utility knife"], None),
    "cast iron skillet": ("Home > Kitchen > Cookware", ["cast iron skillet"], None),
    "pot for slow cooking stews": ("Home > Kitchen > Cookware", ["dutch oven", "stock pot"], None),
    "espresso machine": ("Home > Kitchen > Coffee & Tea", ["espresso machine"], None),
    "grind beans at home": ("Home > Kitchen > Coffee & Tea", ["burr coffee grinder"], None),
    "standing desk": ("Home > Furniture > Office", ["standing desk"], None),
    "comfortable seat for working": ("Home > Furniture > Office", ["ergonomic office chair"], None),
    "noise cancelling earbuds": ("Electronics > Audio > Headphones", ["noise cancelling earbuds"], None),
    "sony headphones": (
        "Electronics > Audio > Headphones",
        [
            "wireless headphones",
            "over-ear headphones",
            "noise cancelling earbuds",
            "studio monitor headphones",
            "sports earbuds",
        ],
        "Sony",
    ),
    "bluetooth speaker": ("Electronics > Audio > Speakers", ["bluetooth speaker", "portable speaker"], None),
    "tv sound bar": ("Electronics > Audio > Speakers", ["soundbar"], None),
    "mechanical keyboard": ("Electronics > Computers > Accessories", ["mechanical keyboard"], None),
    "logitech mouse": ("Electronics > Computers > Accessories", ["wireless mouse"], "Logitech"),
    "power bank": ("Electronics > Phones > Accessories", ["power bank"], None),
    "battery to recharge my mobile on the go": ("Electronics > Phones > Accessories", ["power bank"], None),
    "phone case": ("Electronics > Phones > Accessories", ["phone case"], None),
    "running shoes": ("Sports > Running > Shoes", ["running shoes", "stability running shoes"], None),
    "trail running shoes": ("Sports > Running > Shoes", ["trail running shoes"], None),
    "yoga mat": ("Sports > Fitness > Equipment", ["yoga mat"], None),
    "weights for home workouts": ("Sports > Fitness > Equipment", ["adjustable dumbbells", "kettlebell"], None),
    "camping tent": ("Sports > Outdoor > Camping", ["camping tent"], None),
    "light for night hiking": ("Sports > Outdoor > Camping", ["headlamp"], None),
    "rain jacket": ("Clothing > Men > Jackets", ["rain jacket"], None),
    "warm coat for winter": ("Clothing > Men > Jackets", ["down jacket"], None),
    "summer dress": ("Clothing > Women > Dresses", ["summer dress"], None),
    "sunscreen": ("Beauty > Skincare", ["sunscreen SPF 50"], None),
    "vitamin c serum": ("Beauty > Skincare", ["vitamin C serum"], None),
    "dog harness": ("Pet Supplies > Dogs", ["dog harness"], None),
    "something for my puppy to chew": ("Pet Supplies > Dogs", ["chew toy"], None),
    "lego castle": ("Toys > Building Sets", ["castle building set"], "LEGO"),
    "菜刀": ("家居 > 厨房 > 刀具", ["菜刀"], None),
    "充电宝": ("数码 > 手机配件", ["充电宝"], None),
    "龙井": ("食品 > 茶叶", ["西湖龙井"], None),
    "羽绒服": ("服饰 > 女装", ["羽绒服"], None),
}


def product_type(title: str, kinds: list[str]) -> str | None:
    """The generator's product type in this title (longest match first: 'trail running shoes')."""
    return next((kind for kind in sorted(kinds, key=len, reverse=True) if kind.lower() in title.lower()), None)


def grade(product: dict, category: str, kinds: list[str], brand: str | None) -> int:
    if product.get("category") != category:
        return 0
    kind = product_type(product["title"], CATALOG[category][1])
    if kind in kinds:
        return 3 if brand is None or product.get("brand") == brand else 2
    return 1


def main() -> None:
    products = [json.loads(line) for line in (ROOT / "data" / "sample_catalog.jsonl").open(encoding="utf-8")]
    rows = [(query, p["id"], g) for query, spec in QUERIES.items() for p in products if (g := grade(p, *spec))]
    with (ROOT / "data" / "judgments.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["query", "product_id", "grade"])
        writer.writerows(rows)
    print(f"{len(QUERIES)} queries, {len(rows)} judgments -> data/judgments.csv")


if __name__ == "__main__":
    main()
