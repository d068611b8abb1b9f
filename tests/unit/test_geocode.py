"""Places from GPS positions, offline: real coordinates off city centres and near borders, in both
hemispheres. Country by time-zone polygon, city by the reach rule of ``photosearch.places.geocode``."""

from __future__ import annotations

import math

import pytest

from photosearch.places.geocode import great_circle_km, locate

# (name of the spot, lat, lon, expected city, expected country code); coordinates of landmarks, not city centres
SPOTS = [
    ("Piazzale Michelangelo", 43.7629, 11.2650, "Florence", "IT"),
    ("Santa Maria Novella station", 43.7765, 11.2480, "Florence", "IT"),
    ("Colosseum", 41.8902, 12.4922, "Rome", "IT"),
    ("St Peter's Basilica", 41.9022, 12.4539, "Vatican City", "VA"),
    ("Rialto bridge", 45.4380, 12.3358, "Venice", "IT"),
    ("Milan cathedral", 45.4642, 9.1900, "Milan", "IT"),
    ("Gorizia", 45.9415, 13.6200, "Gorizia", "IT"),
    ("Nova Gorica", 45.9560, 13.6480, "Nova Gorica", "SI"),
    ("Templo de Debod (Moncloa-Aravaca district)", 40.4240, -3.7178, "Madrid", "ES"),
    ("Retiro park", 40.4153, -3.6845, "Madrid", "ES"),
    ("Sagrada Familia", 41.4036, 2.1744, "Barcelona", "ES"),
    ("Helsinki West Harbour (Länsisatama)", 60.1560, 24.9210, "Helsinki", "FI"),
    ("Helsinki cathedral", 60.1705, 24.9522, "Helsinki", "FI"),
    ("Eiffel tower", 48.8584, 2.2945, "Paris", "FR"),
    ("Sacré-Cœur", 48.8867, 2.3431, "Paris", "FR"),
    ("Strasbourg cathedral", 48.5818, 7.7510, "Strasbourg", "FR"),
    ("Kehl", 48.5726, 7.8159, "Kehl", "DE"),
    ("Basel minster", 47.5565, 7.5924, "Basel", "CH"),
    ("Weil am Rhein", 47.5947, 7.6206, "Weil am Rhein", "DE"),
    ("Hallgrímskirkja", 64.1417, -21.9266, "Reykjavík", "IS"),
    ("Tijuana", 32.5149, -117.0382, "Tijuana", "MX"),
    ("Valga", 57.7770, 26.0473, "Valga", "EE"),
    ("Valka", 57.7750, 26.0200, "Valka", "LV"),
    ("Sydney Opera House", -33.8568, 151.2153, "Sydney", "AU"),
    ("Obelisco de Buenos Aires", -34.6037, -58.3816, "Buenos Aires", "AR"),
    ("Copacabana beach", -22.9711, -43.1822, "Rio de Janeiro", "BR"),
    ("Shibuya crossing", 35.6595, 139.7005, "Tokyo", "JP"),
    ("Kiyomizu-dera", 34.9949, 135.7850, "Kyoto", "JP"),
    ("Detroit Renaissance Center", 42.3293, -83.0398, "Detroit", "US"),
    ("Windsor riverfront", 42.3170, -83.0380, "Windsor", "CA"),
]


@pytest.mark.parametrize(("spot", "lat", "lon", "city", "cc"), SPOTS, ids=[s[0] for s in SPOTS])
def test_city_and_country_of_real_spots(spot: str, lat: float, lon: float, city: str, cc: str) -> None:
    place = locate(lat, lon)
    assert (place.city, place.country_code) == (city, cc), spot


def test_precision_and_recall_of_in_city_and_in_country_are_one() -> None:
    got = [locate(lat, lon) for _, lat, lon, _, _ in SPOTS]
    for level, want in (("city", [s[3] for s in SPOTS]), ("country_code", [s[4] for s in SPOTS])):
        for name in set(want):
            predicted = {i for i, p in enumerate(got) if getattr(p, level) == name}
            truth = {i for i, w in enumerate(want) if w == name}
            assert predicted == truth, (level, name)


def test_open_sea_and_invalid_positions_have_no_place() -> None:
    assert locate(45.0, -30.0).country_code is None  # mid-Atlantic
    assert locate(0.0, -140.0).city is None
    for lat, lon in ((91.0, 0.0), (0.0, 181.0), (math.nan, 1.0), (1.0, math.inf)):
        place = locate(lat, lon)
        assert (place.country_code, place.city) == (None, None)


def test_great_circle_distance() -> None:
    assert great_circle_km(60.1699, 24.9384, 59.4370, 24.7536) == pytest.approx(
        82.0, abs=2.0
    )  # Helsinki-Tallinn
    assert great_circle_km(0.0, 179.9, 0.0, -179.9) == pytest.approx(22.2, abs=0.2)  # across the date line
