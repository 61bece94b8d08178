"""Vocabulary of the synthetic catalog: one spec per seeded category.

The seeder (``shop.seed``) combines these word lists into product names, prices and descriptions. The
descriptions deliberately mention features and use cases ("waterproof", "for trail running") so that
text search and embeddings have real material to work with. All brands are invented.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

SHOE_SIZES = tuple(f"{whole}{half}" for whole in range(6, 14) for half in ("", ".5"))[:-1]  # US 6 .. 13
CLOTHING_SIZES = ("XS", "S", "M", "L", "XL", "XXL")
WAIST_SIZES = ("28", "30", "32", "34", "36", "38", "40")


@dataclass(frozen=True)
class PricedOption:
    """An option besides colour and size whose values cost more or less: (value, amount added to the price)."""

    name: str
    values: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class AddOn:
    """A modifier sold with a line (gift wrap); one of a ``group`` at most."""

    name: str
    price: float
    group: str | None = None


@dataclass(frozen=True)
class CategorySpec:
    """How to make plausible products of one category.

    ``name_format`` fields: ``line`` (model line), ``audience`` ("Men's " or ""), ``tag`` (a selling point
    such as "Wireless ", or "") and ``noun`` (the product type). ``noun_prices`` overrides ``price_range``
    for nouns whose price differs a lot from the rest (a hair dryer is not a shampoo).
    """

    name: str
    brands: tuple[str, ...]
    lines: tuple[str, ...]
    nouns: tuple[str, ...]
    price_range: tuple[float, float]
    features: tuple[str, ...]
    uses: tuple[str, ...]
    colors: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    noun_prices: Mapping[str, tuple[float, float]] = field(default_factory=lambda: MappingProxyType({}))
    name_format: str = "{line} {audience}{tag}{noun}"
    weight: float = 1.0  # relative share of the catalog
    options: tuple[PricedOption, ...] = ()  # after Color and Size; each product offers a run of the values
    size_option: PricedOption | None = None  # ``sizes`` are this option (phones: Storage), priced by value
    add_ons: tuple[AddOn, ...] = ()


CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
        name="Running Shoes",
        brands=("Stridewell", "Nordpeak", "Velox Athletics", "Runvana", "Kestrel Sport", "Pacewise", "Summitry"),
        lines=("Trailblaze", "Swiftstride", "Cloudrun", "Tempo", "Ridgeline", "Velocity", "Glide", "Horizon",
               "Pulse", "Rocket", "Marathoner", "Terra"),
        nouns=("Running Shoe", "Trail Running Shoe", "Road Running Shoe", "Racing Shoe", "Stability Running Shoe"),
        price_range=(45, 220),
        features=("a breathable engineered mesh upper", "responsive foam cushioning", "a grippy rubber outsole",
                  "a waterproof membrane", "a carbon-fibre plate", "reflective details for low light",
                  "a wide toe box", "a lightweight 230 g build", "extra arch support",
                  "a rock plate for rough terrain"),
        uses=("for trail running", "for daily road training", "for marathon racing",
              "for beginners building mileage", "for tempo runs and intervals", "for wet winter runs"),
        colors=("Black", "White", "Navy", "Grey", "Red", "Volt Yellow", "Blue", "Orange"),
        sizes=SHOE_SIZES,
        audiences=("Men's ", "Women's ", "Unisex "),
        weight=1.3,
    ),
    CategorySpec(
        name="Sneakers",
        brands=("Urbanite", "Kicksmith", "Lowtop Labs", "Courtline", "Brixton Row", "Solemate"),
        lines=("Classic", "Court", "Metro", "Retro 84", "Skyline", "Canvas", "Street", "Avenue", "Vintage", "Drift"),
        nouns=("Sneaker", "Low-Top Sneaker", "High-Top Sneaker", "Slip-On Sneaker", "Leather Sneaker",
               "Canvas Sneaker"),
        price_range=(35, 180),
        features=("a premium leather upper", "a cushioned insole", "a vulcanized rubber sole", "a padded collar",
                  "organic cotton canvas", "recycled materials", "an easy slip-on design", "a retro gum sole"),
        uses=("for everyday wear", "for casual outfits", "for walking around the city", "for skateboarding",
              "for school"),
        colors=("White", "Black", "Grey", "Navy", "Red", "Beige", "Green"),
        sizes=SHOE_SIZES,
        audiences=("Men's ", "Women's ", "Kids' ", "Unisex "),
        weight=1.2,
    ),
    CategorySpec(
        name="Headphones",
        brands=("Sonari", "Auralis", "Boselle", "Jablon", "Quietude", "Beatform", "Clearwave", "Harmonix"),
        lines=("Q45", "Studio Pro", "Flow", "Echo", "Nova", "Pulse 2", "Aria", "Zen", "Voyage", "Elite 7"),
        nouns=("Headphones", "Over-Ear Headphones", "On-Ear Headphones", "Earbuds", "True Wireless Earbuds",
               "Sport Earbuds"),
        price_range=(19, 399),
        features=("active noise cancelling", "a 30-hour battery life", "Bluetooth 5.3",
                  "a built-in microphone for calls", "fast USB-C charging", "memory foam ear cushions",
                  "sweat and water resistance (IPX4)", "a low-latency gaming mode", "multipoint pairing",
                  "a foldable design with carry case", "spatial audio"),
        uses=("for travel and commuting", "for the gym", "for working from home", "for gaming",
              "for studio monitoring", "for running"),
        colors=("Black", "White", "Silver", "Midnight Blue", "Rose Gold", "Sage Green"),
        tags=("Wireless ", "Noise Cancelling ", "Bluetooth ", "Wireless Noise Cancelling ", ""),
        weight=1.3,
    ),
    CategorySpec(
        name="Speakers",
        brands=("Sonari", "Boomcraft", "Resonar", "Clearwave", "Tonehaus", "Loudbay"),
        lines=("Boom 3", "Pillar", "Cube", "Wave", "Party Max", "Mini", "Terrace", "Fiesta", "Arc 500"),
        nouns=("Bluetooth Speaker", "Portable Speaker", "Smart Speaker", "Soundbar", "Bookshelf Speakers",
               "Party Speaker"),
        price_range=(25, 600),
        features=("a waterproof IP67 rating", "360-degree sound", "deep bass", "a 24-hour battery",
                  "a built-in voice assistant", "stereo pairing", "Wi-Fi multiroom playback",
                  "a rugged shockproof body", "an HDMI eARC input"),
        uses=("for outdoor parties", "for the beach and pool", "for home cinema", "for the kitchen",
              "for camping trips", "for desk setups"),
        colors=("Black", "Blue", "Red", "Grey", "Teal", "White"),
        tags=("Wireless ", "Waterproof ", ""),
    ),
    CategorySpec(
        name="Laptops",
        brands=("Lumatek", "Corvex", "Novabook", "Aperion", "Zentro", "Hexa Systems"),
        lines=("Air 13", "Pro 14", "Pro 16", "Flex 360", "Gamer X", "Slim 15", "Ultra", "Studio", "Go 11"),
        nouns=("Laptop", "Ultrabook", "Gaming Laptop", "2-in-1 Laptop", "Chromebook", "Business Laptop"),
        price_range=(249, 2999),
        features=("16 GB of RAM", "a 1 TB SSD", "an OLED display", "a 144 Hz screen",
                  "up to 18 hours of battery life", "a dedicated graphics card", "a backlit keyboard",
                  "a fingerprint reader", "Thunderbolt 4 ports", "a lightweight 1.2 kg aluminium body",
                  "a touchscreen with stylus support"),
        uses=("for students", "for gaming", "for video editing", "for business travel", "for programming",
              "for everyday browsing and streaming"),
        colors=("Silver", "Space Grey", "Black", "Blue"),
        noun_prices=MappingProxyType({"Chromebook": (199.0, 599.0), "Gaming Laptop": (899.0, 2999.0)}),
        options=(PricedOption("Storage", (("256 GB", 0.0), ("512 GB", 150.0), ("1 TB", 350.0))),),
        add_ons=(AddOn("2-year protection plan", 129.0, "Protection"), AddOn("3-year protection plan", 189.0,
                                                                             "Protection")),
    ),
    CategorySpec(
        name="Smartphones",
        brands=("Lumatek", "Orbit Mobile", "Pixelon", "Nexa", "Zentro", "Kairo"),
        lines=("One", "Edge 5", "Nova 12", "Pro Max", "Lite", "Fold", "Mini", "Ultra 3", "Neo"),
        nouns=("Smartphone", "5G Smartphone", "Phone"),
        price_range=(99, 1499),
        features=("a 6.7-inch OLED display", "a 50 MP triple camera", "5G connectivity",
                  "an all-day 5000 mAh battery", "65 W fast charging", "wireless charging",
                  "IP68 water resistance", "an ultra-wide selfie camera", "dual SIM", "a compact one-hand design"),
        uses=("for photography", "for mobile gaming", "for business", "for seniors who want simplicity",
              "for teens", "for travel"),
        colors=("Black", "White", "Blue", "Green", "Purple", "Graphite"),
        sizes=("128 GB", "256 GB", "512 GB"),
        size_option=PricedOption("Storage", (("128 GB", 0.0), ("256 GB", 100.0), ("512 GB", 250.0))),
        add_ons=(AddOn("2-year protection plan", 79.0, "Protection"), AddOn("Screen protector", 14.99)),
    ),
    CategorySpec(
        name="Smartwatches",
        brands=("Pulsefit", "Chronex", "Orbit Mobile", "Tempus", "Vitalband"),
        lines=("Active 4", "Sport", "Classic", "Ultra", "Run GPS", "Junior", "Lite"),
        nouns=("Smartwatch", "Fitness Tracker", "GPS Running Watch", "Hybrid Smartwatch"),
        price_range=(29, 799),
        features=("heart-rate and SpO2 monitoring", "built-in GPS", "a 7-day battery", "sleep tracking",
                  "water resistance to 50 m", "contactless payments", "an always-on AMOLED display",
                  "fall detection", "LTE calling"),
        uses=("for runners", "for swimmers", "for everyday fitness tracking", "for kids", "for outdoor adventures",
              "for better sleep"),
        colors=("Black", "Silver", "Rose Gold", "Olive", "Blue"),
        sizes=("41 mm", "45 mm"),
    ),
    CategorySpec(
        name="Jackets",
        brands=("Nordpeak", "Fjellwear", "Urban Hive", "Stormline", "Alpenglow", "Harbor & Pine"),
        lines=("Summit", "Glacier", "Drizzle", "Metro", "Basecamp", "Tundra", "Breeze", "Ranger"),
        nouns=("Rain Jacket", "Down Jacket", "Softshell Jacket", "Puffer Jacket", "Denim Jacket", "Fleece Jacket",
               "Windbreaker", "Parka"),
        price_range=(39, 450),
        features=("a waterproof breathable shell", "800-fill goose down", "recycled synthetic insulation",
                  "taped seams", "an adjustable hood", "pit zips for ventilation", "a packable design",
                  "a soft fleece lining", "windproof fabric", "reflective trims"),
        uses=("for hiking", "for city commuting", "for skiing and snowboarding", "for cold winter days",
              "for spring showers", "for travel"),
        colors=("Black", "Navy", "Olive", "Red", "Yellow", "Grey", "Khaki"),
        sizes=CLOTHING_SIZES,
        audiences=("Men's ", "Women's ", "Kids' "),
        tags=("Waterproof ", "Lightweight ", "Insulated ", ""),
        weight=1.2,
    ),
    CategorySpec(
        name="T-Shirts",
        brands=("Cottonfield", "Basic Theory", "Urban Hive", "Tee Society", "Pacewise"),
        lines=("Everyday", "Essential", "Vintage Wash", "Graphic", "Pocket", "Performance", "Organic"),
        nouns=("T-Shirt", "Crew Neck T-Shirt", "V-Neck T-Shirt", "Long Sleeve T-Shirt", "Running T-Shirt",
               "Oversized T-Shirt"),
        price_range=(8, 60),
        features=("100% organic cotton", "moisture-wicking fabric", "a relaxed fit", "a slim fit",
                  "a soft brushed finish", "pre-shrunk cotton", "quick-dry technical fabric", "a printed graphic"),
        uses=("for everyday wear", "for workouts", "for running", "for layering", "for summer days",
              "for lounging"),
        colors=("White", "Black", "Grey", "Navy", "Red", "Green", "Pink"),
        sizes=CLOTHING_SIZES,
        audiences=("Men's ", "Women's ", "Kids' ", "Unisex "),
        weight=1.3,
    ),
    CategorySpec(
        name="Jeans",
        brands=("Indigo Mill", "Rivet & Co", "Denimwerk", "Basic Theory", "Harbor & Pine"),
        lines=("Classic", "Stretch", "Rider", "Heritage", "Comfort", "Selvedge"),
        nouns=("Slim Fit Jeans", "Straight Leg Jeans", "Skinny Jeans", "Relaxed Fit Jeans", "Bootcut Jeans",
               "Tapered Jeans"),
        price_range=(25, 180),
        features=("stretch denim", "rigid selvedge denim", "a high rise", "a mid rise", "a distressed finish",
                  "a dark rinse", "organic cotton", "reinforced pockets"),
        uses=("for everyday wear", "for work", "for a night out", "for all-day comfort"),
        colors=("Dark Blue", "Light Blue", "Black", "Grey"),
        sizes=WAIST_SIZES,
        audiences=("Men's ", "Women's "),
    ),
    CategorySpec(
        name="Backpacks",
        brands=("Trailpack", "Fjellwear", "Carryall", "Nomad Gear", "Urban Hive"),
        lines=("Daypack 20", "Commuter", "Voyager 40", "Summit 30", "Campus", "Roll-Top", "Slim"),
        nouns=("Backpack", "Laptop Backpack", "Hiking Backpack", "Travel Backpack", "School Backpack",
               "Hydration Pack"),
        price_range=(19, 250),
        features=("a padded 16-inch laptop sleeve", "water-resistant fabric", "a hydration reservoir port",
                  "ergonomic shoulder straps", "a padded hip belt", "anti-theft hidden pockets",
                  "a USB charging port", "an integrated rain cover"),
        uses=("for hiking", "for commuting", "for school", "for travel", "for day trips"),
        colors=("Black", "Grey", "Navy", "Olive", "Red", "Orange"),
        tags=("Waterproof ", "Lightweight ", ""),
        options=(PricedOption("Material", (("Nylon", 0.0), ("Canvas", 10.0), ("Leather", 60.0))),),
    ),
    CategorySpec(
        name="Cookware",
        brands=("Ferro Kitchen", "Casa Cucina", "Ironhold", "Chef's Table", "Copperline"),
        lines=("Pro", "Classic", "Everyday", "Heritage", "Nonstick Plus", "Artisan"),
        nouns=("Frying Pan", "Skillet", "Saucepan", "Dutch Oven", "Stock Pot", "Wok", "Cookware Set"),
        price_range=(15, 400),
        features=("a PFAS-free nonstick coating", "cast iron construction", "tri-ply stainless steel",
                  "an induction-compatible base", "oven-safe to 260 C", "stay-cool handles", "dishwasher-safe parts",
                  "a tempered glass lid", "enamelled cast iron"),
        uses=("for searing steaks", "for everyday cooking", "for slow braising", "for stir-fries",
              "for small kitchens", "for beginner cooks"),
        colors=("Black", "Red", "Blue", "Cream", "Stainless Steel"),
        sizes=("20 cm", "24 cm", "28 cm"),
        noun_prices=MappingProxyType({"Cookware Set": (89.0, 400.0), "Dutch Oven": (49.0, 350.0)}),
    ),
    CategorySpec(
        name="Coffee Makers",
        brands=("Brewista", "Crema Co", "Morning Ritual", "Barista Lab", "Kaffa"),
        lines=("Classic", "Pro", "Express", "Barista", "Mini", "Duo"),
        nouns=("Drip Coffee Maker", "Espresso Machine", "French Press", "Pour-Over Coffee Maker",
               "Pod Coffee Machine", "Cold Brew Maker", "Moka Pot"),
        price_range=(19, 400),
        features=("a built-in burr grinder", "a 15-bar pump", "a milk frother", "a programmable timer",
                  "a thermal carafe", "a 12-cup capacity", "a single-serve design", "borosilicate glass",
                  "auto shut-off"),
        uses=("for espresso lovers", "for busy mornings", "for small apartments", "for the office", "for camping"),
        colors=("Black", "Stainless Steel", "White", "Red"),
        noun_prices=MappingProxyType({"Espresso Machine": (149.0, 1200.0), "French Press": (15.0, 60.0),
                                      "Moka Pot": (15.0, 70.0)}),
        options=(PricedOption("Capacity", (("4 cups", 0.0), ("8 cups", 15.0), ("12 cups", 30.0))),),
        add_ons=(AddOn("Descaling kit", 9.99),),
    ),
    CategorySpec(
        name="Kitchen Appliances",
        brands=("Casa Cucina", "Whirlo", "Kitchenry", "Zestio", "Ferro Kitchen"),
        lines=("Pro", "Compact", "Max", "Smart", "Classic"),
        nouns=("Blender", "Air Fryer", "Stand Mixer", "Toaster", "Electric Kettle", "Food Processor",
               "Slow Cooker", "Microwave"),
        price_range=(20, 300),
        features=("a 1200 W motor", "a 5.5 L basket", "digital presets", "a dishwasher-safe jar",
                  "variable temperature control", "a keep-warm function", "a stainless steel body",
                  "a compact footprint", "app control"),
        uses=("for smoothies", "for healthy frying", "for baking", "for meal prep", "for family dinners",
              "for small kitchens"),
        colors=("Black", "White", "Silver", "Red", "Sage Green"),
        noun_prices=MappingProxyType({"Stand Mixer": (149.0, 700.0)}),
    ),
    CategorySpec(
        name="Skincare",
        brands=("Dermalune", "Pure Botanica", "Glowlab", "Aqualis", "Verdant Skin"),
        lines=("Hydra", "Clear", "Radiance", "Calm", "Renew", "Daily"),
        nouns=("Moisturizer", "Face Serum", "Cleanser", "Sunscreen SPF 50", "Night Cream", "Eye Cream", "Toner",
               "Face Mask"),
        price_range=(6, 120),
        features=("hyaluronic acid", "niacinamide", "vitamin C", "retinol", "ceramides", "a fragrance-free formula",
                  "SPF 30 protection", "a lightweight non-greasy texture", "aloe vera", "salicylic acid"),
        uses=("for dry skin", "for oily skin", "for sensitive skin", "for acne-prone skin", "for anti-aging care",
              "for daily use"),
        sizes=("30 ml", "50 ml", "100 ml"),
    ),
    CategorySpec(
        name="Makeup",
        brands=("Velvetine", "Glowlab", "Rouge Atelier", "Lumiere", "Pure Botanica"),
        lines=("Matte", "Silk", "Glow", "Longwear", "Velvet", "Nude"),
        nouns=("Lipstick", "Foundation", "Mascara", "Eyeshadow Palette", "Concealer", "Blush", "Eyeliner",
               "Setting Spray"),
        price_range=(5, 80),
        features=("long-lasting 16-hour wear", "a matte finish", "a dewy finish", "buildable coverage",
                  "a vegan and cruelty-free formula", "a waterproof formula", "hydrating oils", "SPF 15"),
        uses=("for everyday looks", "for evening events", "for sensitive eyes", "for oily skin", "for beginners"),
        colors=("Nude", "Rose", "Ruby Red", "Berry", "Coral", "Ivory", "Beige", "Caramel", "Espresso"),
    ),
    CategorySpec(
        name="Hair Care",
        brands=("Silkroot", "Pure Botanica", "Mane Lab", "Aqualis", "Curlcraft"),
        lines=("Repair", "Volume", "Curl", "Smooth", "Color Care", "Daily"),
        nouns=("Shampoo", "Conditioner", "Hair Mask", "Hair Oil", "Hair Dryer", "Straightener", "Curling Iron",
               "Leave-In Conditioner"),
        price_range=(5, 45),
        features=("argan oil", "a sulfate-free formula", "keratin", "ionic technology", "ceramic plates",
                  "heat protection", "tea tree oil", "biotin"),
        uses=("for curly hair", "for damaged hair", "for fine hair", "for color-treated hair", "for a dry scalp",
              "for quick styling"),
        noun_prices=MappingProxyType({"Hair Dryer": (29.0, 399.0), "Straightener": (25.0, 249.0),
                                      "Curling Iron": (19.0, 199.0)}),
    ),
    CategorySpec(
        name="Gardening",
        brands=("Greenthumb", "Terra Garden", "Bloomfield", "Rootwise"),
        lines=("Pro", "Easy", "Classic", "Eco", "Heavy Duty"),
        nouns=("Garden Hose", "Pruning Shears", "Raised Garden Bed", "Watering Can", "Garden Gloves",
               "Seed Starter Kit", "Cordless Lawn Mower", "Compost Bin"),
        price_range=(8, 120),
        features=("rust-resistant steel blades", "ergonomic handles", "UV-stable recycled plastic",
                  "a 30 m expandable length", "a cordless 40 V battery", "weatherproof cedar wood",
                  "puncture-resistant material"),
        uses=("for balcony gardens", "for vegetable patches", "for lawns", "for beginner gardeners",
              "for pruning roses"),
        colors=("Green", "Black", "Terracotta"),
        noun_prices=MappingProxyType({"Cordless Lawn Mower": (149.0, 599.0), "Raised Garden Bed": (39.0, 249.0)}),
    ),
    CategorySpec(
        name="Toys",
        brands=("Playnest", "Brickworks", "Tiny Tinker", "Wonderbox", "Kidzmo"),
        lines=("Adventure", "Discovery", "Classic", "Junior", "Galaxy", "Safari"),
        nouns=("Building Blocks Set", "Plush Teddy Bear", "Remote Control Car", "Wooden Puzzle", "Board Game",
               "Doll House", "STEM Robot Kit", "Toy Train Set"),
        price_range=(8, 150),
        features=("500 pieces", "non-toxic materials", "rechargeable batteries", "a design for ages 3 and up",
                  "a design for ages 8 and up", "educational STEM learning", "soft washable fabric",
                  "app control"),
        uses=("for toddlers", "for family game night", "for creative play", "for birthday gifts",
              "for learning to code"),
        add_ons=(AddOn("Gift wrap", 4.99),),
    ),
    CategorySpec(
        name="Fitness Equipment",
        brands=("Ironform", "Pulsefit", "Corecraft", "Flexion", "Gymnest"),
        lines=("Pro", "Home", "Studio", "Flex", "Elite"),
        nouns=("Adjustable Dumbbells", "Yoga Mat", "Resistance Bands Set", "Kettlebell", "Exercise Bike",
               "Treadmill", "Foam Roller", "Pull-Up Bar", "Jump Rope"),
        price_range=(10, 120),
        features=("a non-slip surface", "weights adjustable from 2 to 24 kg", "a foldable frame for storage",
                  "quiet magnetic resistance", "app-connected workouts", "extra-thick 6 mm cushioning",
                  "a heavy-duty steel frame", "a digital display"),
        uses=("for home workouts", "for yoga and pilates", "for strength training", "for cardio",
              "for recovery and mobility"),
        colors=("Black", "Grey", "Purple", "Blue", "Pink"),
        noun_prices=MappingProxyType({"Exercise Bike": (199.0, 1500.0), "Treadmill": (399.0, 1500.0),
                                      "Adjustable Dumbbells": (79.0, 450.0)}),
    ),
    CategorySpec(
        name="Smart Home",
        brands=("Hommio", "Lumatek", "Nestwise", "Brightline", "Sentrix"),
        lines=("Home", "Mini", "Pro", "Plus", "Cam 2"),
        nouns=("Smart Plug", "Smart Bulb", "Video Doorbell", "Security Camera", "Smart Thermostat",
               "Robot Vacuum", "Smart Lock", "Smart Display"),
        price_range=(9, 250),
        features=("voice assistant support", "Wi-Fi with no hub needed", "1080p HD video", "night vision",
                  "energy monitoring", "motion detection alerts", "16 million colors", "an auto-emptying base",
                  "geofencing"),
        uses=("for home security", "for saving energy", "for hands-free control", "for pet owners",
              "for renters"),
        colors=("White", "Black", "Grey"),
        noun_prices=MappingProxyType({"Robot Vacuum": (149.0, 900.0), "Smart Plug": (9.0, 35.0),
                                      "Smart Bulb": (9.0, 40.0)}),
    ),
    CategorySpec(
        name="Books",
        brands=("Lantern House", "Bluequill Press", "Northwind Books", "Marrow & Vale", "Paperkite"),
        lines=("The Silent Harbor", "Salt and Ember", "Wild Running", "The Last Orchard", "Midnight Algorithms",
               "A Kitchen in Lisbon", "Beneath the Glacier", "The Patient Garden", "Small Habits, Big Life",
               "The Coffee Atlas", "Stars Over Nairobi", "The Clockmaker's Daughter"),
        nouns=("A Novel", "A Thriller", "A Cookbook", "A Memoir", "A Field Guide", "A Practical Guide",
               "A Children's Picture Book"),
        price_range=(6, 45),
        features=("a hardcover edition", "a paperback edition", "over 300 pages", "illustrations throughout",
                  "an award-winning author", "a bestselling series"),
        uses=("for mystery lovers", "for home cooks", "for runners", "for bedtime reading", "for book clubs",
              "for gardeners"),
        name_format="{line}: {noun}",
        weight=1.2,
        add_ons=(AddOn("Gift wrap", 4.99),),
    ),
)

CATEGORY_NAMES: tuple[str, ...] = tuple(spec.name for spec in CATEGORIES)

FIRST_NAMES = (
    "Alice", "Ben", "Chloe", "Daniel", "Emma", "Farid", "Grace", "Hiro", "Isabel", "Jamal", "Kira", "Liam",
    "Maya", "Noah", "Olivia", "Priya", "Quentin", "Rosa", "Samir", "Tara", "Umar", "Valentina", "Wei", "Ximena",
    "Yusuf", "Zoe", "Aisha", "Bruno", "Carmen", "Dmitri", "Elena", "Finn", "Gabriela", "Hannah", "Ivan", "Julia",
    "Kenji", "Lucia", "Mateo", "Nadia",
)
LAST_NAMES = (
    "Nguyen", "Smith", "Garcia", "Kowalski", "Okafor", "Tanaka", "Rossi", "Müller", "Haddad", "Johansson",
    "Patel", "Kim", "Silva", "Dubois", "O'Brien", "Novak", "Ahmed", "Fischer", "Lopez", "Chen", "Mensah",
    "Petrov", "Andersen", "Costa", "Yilmaz", "Ivanova", "Moreau", "Sato", "Walker", "Ortiz",
)
