/*
 * names.c: the demo's word lists (people's names by origin, media and
 * investors by market, team names, tags, titles, notes, subjects) and a small
 * bounded string builder to assemble them. Names are real-looking and many
 * are not ASCII (José, Zoë, Łukasz, Søren, Müller, Ólafsdóttir, 王, Nguyễn):
 * each carries the ASCII form its e-mail address uses.
 */
#include "demo/demo_int.h"

#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define LIST(a) {a, COUNT(a)}

/* ---- people ---- */

static const demo_word en_first[] = {
    {"James", "james"}, {"Emma", "emma"}, {"Oliver", "oliver"}, {"Sophie", "sophie"},
    {"William", "william"}, {"Charlotte", "charlotte"}, {"Jack", "jack"}, {"Amelia", "amelia"},
    {"Harry", "harry"}, {"Grace", "grace"}, {"Thomas", "thomas"}, {"Chloe", "chloe"},
    {"Daniel", "daniel"}, {"Zoë", "zoe"}, {"Michael", "michael"}, {"Sarah", "sarah"},
    {"David", "david"}, {"Jane", "jane"}, {"John", "john"}, {"Rachel", "rachel"},
    {"Matthew", "matthew"}, {"Hannah", "hannah"}, {"Renée", "renee"}, {"Liam", "liam"},
};
static const demo_word en_last[] = {
    {"Smith", "smith"}, {"Jones", "jones"}, {"Taylor", "taylor"}, {"Brown", "brown"},
    {"Williams", "williams"}, {"Wilson", "wilson"}, {"Johnson", "johnson"}, {"Davies", "davies"},
    {"Doe", "doe"}, {"Evans", "evans"}, {"Thomas", "thomas"}, {"Roberts", "roberts"},
    {"Walker", "walker"}, {"Wright", "wright"}, {"O'Brien", "obrien"}, {"Hughes", "hughes"},
    {"Edwards", "edwards"}, {"Green", "green"}, {"Hall", "hall"}, {"Clarke", "clarke"},
    {"Jackson", "jackson"}, {"Murphy", "murphy"}, {"MacLeod", "macleod"}, {"Patel", "patel"},
};
static const demo_word nl_first[] = {
    {"Jan", "jan"}, {"Sanne", "sanne"}, {"Pieter", "pieter"}, {"Anouk", "anouk"},
    {"Daan", "daan"}, {"Femke", "femke"}, {"Bram", "bram"}, {"Lotte", "lotte"},
    {"Sem", "sem"}, {"Eline", "eline"}, {"Joost", "joost"}, {"Marloes", "marloes"},
    {"Thijs", "thijs"}, {"Noor", "noor"}, {"Ruud", "ruud"}, {"Inge", "inge"},
    {"Maaike", "maaike"}, {"Gijs", "gijs"}, {"Hanneke", "hanneke"}, {"Wouter", "wouter"},
};
static const demo_word nl_last[] = {
    {"de Jong", "dejong"}, {"Jansen", "jansen"}, {"de Vries", "devries"},
    {"van den Berg", "vandenberg"}, {"van Dijk", "vandijk"}, {"Bakker", "bakker"},
    {"Visser", "visser"}, {"Smit", "smit"}, {"Meijer", "meijer"}, {"de Boer", "deboer"},
    {"Mulder", "mulder"}, {"de Groot", "degroot"}, {"Bos", "bos"}, {"Vos", "vos"},
    {"Peters", "peters"}, {"Hendriks", "hendriks"}, {"van Leeuwen", "vanleeuwen"},
    {"Dekker", "dekker"}, {"Brouwer", "brouwer"}, {"Schouten", "schouten"},
};
static const demo_word de_first[] = {
    {"Lukas", "lukas"}, {"Anna", "anna"}, {"Jürgen", "juergen"}, {"Lea", "lea"},
    {"Maximilian", "maximilian"}, {"Sophie", "sophie"}, {"Felix", "felix"}, {"Lena", "lena"},
    {"Jörg", "joerg"}, {"Käthe", "kaethe"}, {"Stefan", "stefan"}, {"Sabine", "sabine"},
    {"Matthias", "matthias"}, {"Julia", "julia"}, {"Uwe", "uwe"}, {"Birgit", "birgit"},
    {"Tobias", "tobias"}, {"Katrin", "katrin"}, {"Annika", "annika"}, {"Björn", "bjoern"},
};
static const demo_word de_last[] = {
    {"Müller", "mueller"}, {"Schmidt", "schmidt"}, {"Schneider", "schneider"},
    {"Fischer", "fischer"}, {"Weber", "weber"}, {"Meyer", "meyer"}, {"Wagner", "wagner"},
    {"Becker", "becker"}, {"Schulz", "schulz"}, {"Hoffmann", "hoffmann"},
    {"Schäfer", "schaefer"}, {"Koch", "koch"}, {"Bauer", "bauer"}, {"Richter", "richter"},
    {"Klein", "klein"}, {"Wolf", "wolf"}, {"Schröder", "schroeder"}, {"Neumann", "neumann"},
    {"Weiß", "weiss"}, {"Krüger", "krueger"},
};
static const demo_word fr_first[] = {
    {"Camille", "camille"}, {"Louis", "louis"}, {"Léa", "lea"}, {"Hugo", "hugo"},
    {"Chloé", "chloe"}, {"Théo", "theo"}, {"Manon", "manon"}, {"Mathéo", "matheo"},
    {"Inès", "ines"}, {"Jérôme", "jerome"}, {"Élodie", "elodie"}, {"François", "francois"},
    {"Hélène", "helene"}, {"Nicolas", "nicolas"}, {"Céline", "celine"}, {"Gaëlle", "gaelle"},
    {"Antoine", "antoine"}, {"Margaux", "margaux"}, {"Benoît", "benoit"}, {"Amélie", "amelie"},
};
static const demo_word fr_last[] = {
    {"Martin", "martin"}, {"Bernard", "bernard"}, {"Dubois", "dubois"}, {"Durand", "durand"},
    {"Lefèvre", "lefevre"}, {"Moreau", "moreau"}, {"Laurent", "laurent"}, {"Simon", "simon"},
    {"Michel", "michel"}, {"Garçon", "garcon"}, {"Fontaine", "fontaine"}, {"Rousseau", "rousseau"},
    {"Girard", "girard"}, {"Bonnet", "bonnet"}, {"Dupont", "dupont"}, {"Lambert", "lambert"},
    {"Chevalier", "chevalier"}, {"Faure", "faure"}, {"Mercier", "mercier"}, {"Bélanger", "belanger"},
};
static const demo_word es_first[] = {
    {"José", "jose"}, {"María", "maria"}, {"Javier", "javier"}, {"Lucía", "lucia"},
    {"Alejandro", "alejandro"}, {"Sofía", "sofia"}, {"Pablo", "pablo"}, {"Martina", "martina"},
    {"Andrés", "andres"}, {"Carmen", "carmen"}, {"Sergio", "sergio"}, {"Inés", "ines"},
    {"Raúl", "raul"}, {"Elena", "elena"}, {"Ramón", "ramon"}, {"Begoña", "begona"},
    {"Jesús", "jesus"}, {"Marta", "marta"}, {"Íñigo", "inigo"}, {"Paula", "paula"},
};
static const demo_word es_last[] = {
    {"García", "garcia"}, {"Fernández", "fernandez"}, {"González", "gonzalez"},
    {"Rodríguez", "rodriguez"}, {"López", "lopez"}, {"Martínez", "martinez"},
    {"Sánchez", "sanchez"}, {"Pérez", "perez"}, {"Gómez", "gomez"}, {"Ruiz", "ruiz"},
    {"Díaz", "diaz"}, {"Hernández", "hernandez"}, {"Muñoz", "munoz"}, {"Álvarez", "alvarez"},
    {"Romero", "romero"}, {"Navarro", "navarro"}, {"Torres", "torres"}, {"Domínguez", "dominguez"},
    {"Ibáñez", "ibanez"}, {"Castillo", "castillo"},
};
static const demo_word it_first[] = {
    {"Giulia", "giulia"}, {"Marco", "marco"}, {"Francesca", "francesca"}, {"Luca", "luca"},
    {"Chiara", "chiara"}, {"Alessandro", "alessandro"}, {"Sara", "sara"}, {"Matteo", "matteo"},
    {"Federica", "federica"}, {"Niccolò", "niccolo"}, {"Elisa", "elisa"}, {"Giovanni", "giovanni"},
    {"Valentina", "valentina"}, {"Davide", "davide"}, {"Martina", "martina"}, {"Lorenzo", "lorenzo"},
};
static const demo_word it_last[] = {
    {"Rossi", "rossi"}, {"Russo", "russo"}, {"Ferrari", "ferrari"}, {"Esposito", "esposito"},
    {"Bianchi", "bianchi"}, {"Romano", "romano"}, {"Colombo", "colombo"}, {"Ricci", "ricci"},
    {"Marino", "marino"}, {"Greco", "greco"}, {"Bruno", "bruno"}, {"Gallo", "gallo"},
    {"Conti", "conti"}, {"De Luca", "deluca"}, {"Costa", "costa"}, {"Fabbri", "fabbri"},
};
static const demo_word pt_first[] = {
    {"João", "joao"}, {"Ana", "ana"}, {"Tiago", "tiago"}, {"Inês", "ines"},
    {"Gonçalo", "goncalo"}, {"Beatriz", "beatriz"}, {"Rui", "rui"}, {"Mariana", "mariana"},
    {"Luís", "luis"}, {"Catarina", "catarina"}, {"Sebastião", "sebastiao"}, {"Joana", "joana"},
    {"António", "antonio"}, {"Leonor", "leonor"}, {"Vitória", "vitoria"}, {"Pedro", "pedro"},
};
static const demo_word pt_last[] = {
    {"Silva", "silva"}, {"Santos", "santos"}, {"Ferreira", "ferreira"}, {"Pereira", "pereira"},
    {"Oliveira", "oliveira"}, {"Costa", "costa"}, {"Rodrigues", "rodrigues"},
    {"Martins", "martins"}, {"Gonçalves", "goncalves"}, {"Simões", "simoes"},
    {"Magalhães", "magalhaes"}, {"Assunção", "assuncao"}, {"Sousa", "sousa"}, {"Lopes", "lopes"},
    {"Conceição", "conceicao"}, {"Brandão", "brandao"},
};
static const demo_word sv_first[] = {
    {"Erik", "erik"}, {"Maja", "maja"}, {"Lars", "lars"}, {"Elsa", "elsa"},
    {"Björn", "bjorn"}, {"Åsa", "asa"}, {"Oskar", "oskar"}, {"Ingrid", "ingrid"},
    {"Göran", "goran"}, {"Linnéa", "linnea"}, {"Anders", "anders"}, {"Karin", "karin"},
    {"Måns", "mans"}, {"Ebba", "ebba"}, {"Nils", "nils"}, {"Sigrid", "sigrid"},
};
static const demo_word sv_last[] = {
    {"Andersson", "andersson"}, {"Johansson", "johansson"}, {"Karlsson", "karlsson"},
    {"Nilsson", "nilsson"}, {"Eriksson", "eriksson"}, {"Larsson", "larsson"},
    {"Öberg", "oberg"}, {"Lindström", "lindstrom"}, {"Åberg", "aberg"},
    {"Sjöberg", "sjoberg"}, {"Bergström", "bergstrom"}, {"Lundqvist", "lundqvist"},
    {"Ström", "strom"}, {"Holmgren", "holmgren"}, {"Wallin", "wallin"}, {"Söderberg", "soderberg"},
};
static const demo_word pl_first[] = {
    {"Łukasz", "lukasz"}, {"Anna", "anna"}, {"Piotr", "piotr"}, {"Zofia", "zofia"},
    {"Krzysztof", "krzysztof"}, {"Małgorzata", "malgorzata"}, {"Paweł", "pawel"},
    {"Agnieszka", "agnieszka"}, {"Michał", "michal"}, {"Joanna", "joanna"},
    {"Wojciech", "wojciech"}, {"Katarzyna", "katarzyna"}, {"Grzegorz", "grzegorz"},
    {"Dorota", "dorota"}, {"Bartłomiej", "bartlomiej"}, {"Ewa", "ewa"},
};
static const demo_word pl_last[] = {
    {"Nowak", "nowak"}, {"Kowalski", "kowalski"}, {"Wiśniewski", "wisniewski"},
    {"Wójcik", "wojcik"}, {"Kowalczyk", "kowalczyk"}, {"Kamiński", "kaminski"},
    {"Lewandowska", "lewandowska"}, {"Zieliński", "zielinski"}, {"Szymańska", "szymanska"},
    {"Woźniak", "wozniak"}, {"Dąbrowski", "dabrowski"}, {"Kozłowska", "kozlowska"},
    {"Jankowski", "jankowski"}, {"Mazur", "mazur"}, {"Krawczyk", "krawczyk"}, {"Żak", "zak"},
};
static const demo_word ja_first[] = {
    {"陽翔", "haruto"}, {"結衣", "yui"}, {"蓮", "ren"}, {"さくら", "sakura"},
    {"Hiroshi", "hiroshi"}, {"Yuki", "yuki"}, {"大輔", "daisuke"}, {"美咲", "misaki"},
    {"Kenji", "kenji"}, {"Aiko", "aiko"}, {"翔太", "shota"}, {"Haruka", "haruka"},
    {"健一", "kenichi"}, {"Naoko", "naoko"}, {"Takeshi", "takeshi"}, {"愛", "ai"},
};
static const demo_word ja_last[] = {
    {"佐藤", "sato"}, {"鈴木", "suzuki"}, {"高橋", "takahashi"}, {"田中", "tanaka"},
    {"Watanabe", "watanabe"}, {"Itō", "ito"}, {"山本", "yamamoto"}, {"Nakamura", "nakamura"},
    {"小林", "kobayashi"}, {"Katō", "kato"}, {"吉田", "yoshida"}, {"Yamada", "yamada"},
    {"Saitō", "saito"}, {"松本", "matsumoto"}, {"Inoue", "inoue"}, {"木村", "kimura"},
};
static const demo_word da_first[] = {
    {"Søren", "soren"}, {"Mette", "mette"}, {"Rasmus", "rasmus"}, {"Freja", "freja"},
    {"Jørgen", "jorgen"}, {"Ida", "ida"}, {"Mads", "mads"}, {"Sørine", "sorine"},
    {"Anders", "anders"}, {"Karen", "karen"}, {"Bjørn", "bjorn"}, {"Astrid", "astrid"},
};
static const demo_word da_last[] = {
    {"Jensen", "jensen"}, {"Nielsen", "nielsen"}, {"Hansen", "hansen"},
    {"Pedersen", "pedersen"}, {"Møller", "moller"}, {"Kjærgaard", "kjaergaard"},
    {"Sørensen", "sorensen"}, {"Rasmussen", "rasmussen"}, {"Christensen", "christensen"},
    {"Lindhøj", "lindhoj"}, {"Kierkegaard", "kierkegaard"}, {"Thomsen", "thomsen"},
};
static const demo_word is_first[] = {
    {"Björk", "bjork"}, {"Ólafur", "olafur"}, {"Sigríður", "sigridur"}, {"Þór", "thor"},
    {"Guðrún", "gudrun"}, {"Jón", "jon"}, {"Katrín", "katrin"}, {"Einar", "einar"},
    {"Ragnheiður", "ragnheidur"}, {"Hrafn", "hrafn"},
};
static const demo_word is_last[] = {
    {"Ólafsdóttir", "olafsdottir"}, {"Jónsson", "jonsson"}, {"Sigurðsson", "sigurdsson"},
    {"Guðmundsdóttir", "gudmundsdottir"}, {"Einarsson", "einarsson"},
    {"Þórsdóttir", "thorsdottir"}, {"Magnússon", "magnusson"}, {"Kristjánsdóttir", "kristjansdottir"},
    {"Stefánsson", "stefansson"}, {"Helgadóttir", "helgadottir"},
};
static const demo_word zh_first[] = {
    {"伟", "wei"}, {"芳", "fang"}, {"静", "jing"}, {"磊", "lei"}, {"敏", "min"},
    {"Xiaoming", "xiaoming"}, {"丽", "li"}, {"强", "qiang"}, {"Mei", "mei"}, {"洋", "yang"},
    {"Jun", "jun"}, {"婷", "ting"},
};
static const demo_word zh_last[] = {
    {"王", "wang"}, {"李", "li"}, {"张", "zhang"}, {"刘", "liu"}, {"陈", "chen"},
    {"杨", "yang"}, {"Huang", "huang"}, {"赵", "zhao"}, {"Wu", "wu"}, {"周", "zhou"},
    {"Xu", "xu"}, {"孙", "sun"},
};
static const demo_word vi_first[] = {
    {"Minh", "minh"}, {"Thảo", "thao"}, {"Hương", "huong"}, {"Đức", "duc"},
    {"Anh", "anh"}, {"Linh", "linh"}, {"Quang", "quang"}, {"Ngọc", "ngoc"},
    {"Tuấn", "tuan"}, {"Phương", "phuong"},
};
static const demo_word vi_last[] = {
    {"Nguyễn", "nguyen"}, {"Trần", "tran"}, {"Lê", "le"}, {"Phạm", "pham"},
    {"Hoàng", "hoang"}, {"Huỳnh", "huynh"}, {"Võ", "vo"}, {"Đặng", "dang"},
    {"Bùi", "bui"}, {"Đỗ", "do"},
};

#define ORIGIN(code, f, l) {code, f, COUNT(f), l, COUNT(l)}
const demo_origin demo_origins[] = {
    ORIGIN("en", en_first, en_last), ORIGIN("nl", nl_first, nl_last),
    ORIGIN("de", de_first, de_last), ORIGIN("fr", fr_first, fr_last),
    ORIGIN("es", es_first, es_last), ORIGIN("it", it_first, it_last),
    ORIGIN("pt", pt_first, pt_last), ORIGIN("sv", sv_first, sv_last),
    ORIGIN("pl", pl_first, pl_last), ORIGIN("ja", ja_first, ja_last),
    ORIGIN("da", da_first, da_last), ORIGIN("is", is_first, is_last),
    ORIGIN("zh", zh_first, zh_last), ORIGIN("vi", vi_first, vi_last),
};
const size_t demo_norigins = COUNT(demo_origins);

/* ---- markets: team languages, their media and team names ---- */

static const demo_company en_media[] = {
    {"CNN", "cnn.com"}, {"BBC News", "bbc.co.uk"}, {"Reuters", "reuters.com"},
    {"The Guardian", "theguardian.com"}, {"Financial Times", "ft.com"},
    {"TechCrunch", "techcrunch.com"}, {"The Verge", "theverge.com"},
    {"Bloomberg", "bloomberg.com"}, {"The New York Times", "nytimes.com"},
    {"Wired", "wired.com"}, {"The Economist", "economist.com"}, {"Associated Press", "apnews.com"},
};
static const demo_company nl_media[] = {
    {"de Volkskrant", "volkskrant.nl"}, {"NRC", "nrc.nl"}, {"Het Financieele Dagblad", "fd.nl"},
    {"NOS", "nos.nl"}, {"De Telegraaf", "telegraaf.nl"}, {"Emerce", "emerce.nl"},
    {"De Tijd", "tijd.be"}, {"Trouw", "trouw.nl"},
};
static const demo_company de_media[] = {
    {"Der Spiegel", "spiegel.de"}, {"Die Zeit", "zeit.de"}, {"Handelsblatt", "handelsblatt.com"},
    {"Süddeutsche Zeitung", "sueddeutsche.de"}, {"heise online", "heise.de"},
    {"Frankfurter Allgemeine", "faz.net"}, {"Der Standard", "derstandard.at"},
    {"Neue Zürcher Zeitung", "nzz.ch"},
};
static const demo_company fr_media[] = {
    {"Le Monde", "lemonde.fr"}, {"Le Figaro", "lefigaro.fr"}, {"Les Échos", "lesechos.fr"},
    {"Libération", "liberation.fr"}, {"BFM Business", "bfmtv.com"}, {"L'Usine Nouvelle", "usinenouvelle.com"},
    {"Le Soir", "lesoir.be"},
};
static const demo_company es_media[] = {
    {"El País", "elpais.com"}, {"El Mundo", "elmundo.es"}, {"Expansión", "expansion.com"},
    {"La Vanguardia", "lavanguardia.com"}, {"Cinco Días", "cincodias.elpais.com"},
    {"Clarín", "clarin.com"},
};
static const demo_company it_media[] = {
    {"Corriere della Sera", "corriere.it"}, {"la Repubblica", "repubblica.it"},
    {"Il Sole 24 Ore", "ilsole24ore.com"}, {"La Stampa", "lastampa.it"}, {"ANSA", "ansa.it"},
};
static const demo_company pt_media[] = {
    {"Público", "publico.pt"}, {"Expresso", "expresso.pt"}, {"Folha de S.Paulo", "folha.uol.com.br"},
    {"Jornal de Negócios", "jornaldenegocios.pt"}, {"O Globo", "oglobo.globo.com"},
};
static const demo_company sv_media[] = {
    {"Dagens Nyheter", "dn.se"}, {"Svenska Dagbladet", "svd.se"}, {"Dagens Industri", "di.se"},
    {"Politiken", "politiken.dk"}, {"Aftenposten", "aftenposten.no"}, {"Morgunblaðið", "mbl.is"},
};
static const demo_company pl_media[] = {
    {"Gazeta Wyborcza", "wyborcza.pl"}, {"Rzeczpospolita", "rp.pl"}, {"Onet", "onet.pl"},
    {"Puls Biznesu", "pb.pl"}, {"Dziennik Gazeta Prawna", "gazetaprawna.pl"},
};
static const demo_company ja_media[] = {
    {"日本経済新聞", "nikkei.com"}, {"朝日新聞", "asahi.com"}, {"NHK", "nhk.or.jp"},
    {"読売新聞", "yomiuri.co.jp"}, {"The Japan Times", "japantimes.co.jp"},
};

static const char *const en_teams[] = {"Global Communications", "UK & Ireland", "North America",
                                       "Investor Relations", "Corporate Affairs", "APAC"};
static const char *const nl_teams[] = {"Benelux", "Nederland", "België"};
static const char *const de_teams[] = {"DACH", "Deutschland", "Österreich", "Schweiz"};
static const char *const fr_teams[] = {"France", "Relations Presse", "Belgique"};
static const char *const es_teams[] = {"España", "Latam", "Comunicación"};
static const char *const it_teams[] = {"Italia", "Ufficio Stampa"};
static const char *const pt_teams[] = {"Portugal", "Brasil"};
static const char *const sv_teams[] = {"Nordics", "Sverige"};
static const char *const pl_teams[] = {"Polska", "CEE"};
static const char *const ja_teams[] = {"Japan", "日本広報"};

#define LANG(code, w, teams, media, release, origin) \
    {code, w, teams, COUNT(teams), media, COUNT(media), release, origin}
const demo_lang demo_langs[] = {
    LANG("en", 35, en_teams, en_media, "Press release", 0),
    LANG("nl", 10, nl_teams, nl_media, "Persbericht", 1),
    LANG("de", 12, de_teams, de_media, "Pressemitteilung", 2),
    LANG("fr", 10, fr_teams, fr_media, "Communiqué de presse", 3),
    LANG("es", 8, es_teams, es_media, "Nota de prensa", 4),
    LANG("it", 6, it_teams, it_media, "Comunicato stampa", 5),
    LANG("pt", 5, pt_teams, pt_media, "Comunicado de imprensa", 6),
    LANG("sv", 6, sv_teams, sv_media, "Pressmeddelande", 7),
    LANG("pl", 4, pl_teams, pl_media, "Informacja prasowa", 8),
    LANG("ja", 4, ja_teams, ja_media, "プレスリリース", 9),
};
const size_t demo_nlangs = COUNT(demo_langs);

const demo_company demo_investors[] = {
    {"Sequoia Capital", "sequoiacap.com"}, {"Index Ventures", "indexventures.com"},
    {"Accel", "accel.com"}, {"Atomico", "atomico.com"}, {"Balderton Capital", "balderton.com"},
    {"Northzone", "northzone.com"}, {"Lakestar", "lakestar.com"}, {"EQT Ventures", "eqtventures.com"},
    {"Andreessen Horowitz", "a16z.com"}, {"Partech", "partechpartners.com"},
    {"Creandum", "creandum.com"}, {"HV Capital", "hvcapital.com"},
};
const size_t demo_ninvestors = COUNT(demo_investors);

/* ---- everything else ---- */

static const char *const mail_domains[] = {"gmail.com", "outlook.com", "proton.me",
                                           "yahoo.com", "icloud.com", "gmx.de", "web.de",
                                           "orange.fr", "hotmail.com", "libero.it"};
const demo_list demo_mail_domains = LIST(mail_domains);

static const char *const tags[] = {
    "tech", "media", "ai", "fintech", "healthcare", "energy", "climate", "startups",
    "venture-capital", "retail", "automotive", "mobility", "telecom", "cybersecurity",
    "privacy", "politics", "eu-policy", "economy", "markets", "banking", "insurance",
    "pharma", "biotech", "food", "travel", "aviation", "sports", "culture", "fashion",
    "luxury", "real-estate", "logistics", "gaming", "crypto", "saas", "cloud",
    "semiconductors", "space", "education", "hr", "sustainability", "esg", "agriculture",
    "defence", "legal", "consumer", "économie", "mobilité",
};
const demo_list demo_tags = LIST(tags);

static const char *const tag_regions[] = {"benelux", "dach", "nordics", "uk", "us", "france",
                                          "iberia", "italy", "poland", "japan", "apac", "latam"};
const demo_list demo_tag_regions = LIST(tag_regions);

static const char *const titles_press[] = {
    "Reporter", "Senior Reporter", "Editor", "Editor-in-Chief", "Tech Editor",
    "Business Correspondent", "Freelance Journalist", "Columnist", "News Editor",
    "Producer", "Podcast Host", "Features Writer", "Rédactrice en chef", "Redakteurin",
    "Correspondent", "Deputy Editor",
};
const demo_list demo_titles_press = LIST(titles_press);

static const char *const titles_investor[] = {
    "Partner", "Principal", "Analyst", "Associate", "Managing Director",
    "Portfolio Manager", "Investment Director", "Venture Partner",
};
const demo_list demo_titles_investor = LIST(titles_investor);

static const char *const notes[] = {
    "Met at MWC", "Prefers phone calls", "Source: LinkedIn", "Source: website form",
    "Imported from spreadsheet", "Covered our launch", "Prefers embargoed news",
    "Speaks at conferences", "Ask for a quote", "Newsletter subscriber",
    "Interviewed our CEO", "Slow to reply", "Wants exclusives", "Met at Web Summit",
};
const demo_list demo_notes = LIST(notes);

static const char *const flags[] = {"VIP", "Do not call before 10:00", "Embargo list A",
                                    "Handle with care"};
const demo_list demo_flags = LIST(flags);

static const char *const tenant_first[] = {
    "Aurora", "Beacon", "Cobalt", "Delta", "Evergreen", "Fjord", "Granite", "Harbor",
    "Indigo", "Juniper", "Kestrel", "Lumen", "Meridian", "Northstar", "Orchid", "Pinnacle",
    "Quartz", "Riverside", "Summit", "Tidewater", "Umber", "Vantage", "Willow", "Xenon",
    "Yarrow", "Zephyr", "Øresund", "Boreal", "Cedar", "Mañana",
};
const demo_list demo_tenant_first = LIST(tenant_first);

static const char *const tenant_second[] = {
    "Energy", "Foods", "Pharma", "Telecom", "Motors", "Bank", "Insurance", "Airlines",
    "Logistics", "Software", "Retail", "Media", "Robotics", "Biotech", "Holdings", "Group",
    "Labs", "Health", "Mobility", "Capital",
};
const demo_list demo_tenant_second = LIST(tenant_second);

static const char *const subject_prefix[] = {"", "Media alert", "Invitation", "Embargoed",
                                             "Newsletter"};
const demo_list demo_subject_prefix = LIST(subject_prefix);

static const char *const subject_news[] = {
    "announces third-quarter results", "launches a new product line", "appoints a new CEO",
    "opens an office in Lisbon", "reports record growth", "publishes its sustainability report",
    "completes an acquisition", "joins an industry alliance", "wins an innovation award",
    "expands to the Nordics", "unveils its 2027 strategy", "partners with local start-ups",
    "hosts its annual press day", "raises its full-year outlook",
};
const demo_list demo_subject_news = LIST(subject_news);

static const char *const plans[] = {"starter", "professional", "enterprise"};
const demo_list demo_plans = LIST(plans);

/* ---- the bounded string builder ---- */

void demo_str_addn(demo_str *b, const char *s, size_t n)
{
    size_t room = b->cap - 1 - b->len;
    if (n > room)
        n = room;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void demo_str_add(demo_str *b, const char *s) { demo_str_addn(b, s, strlen(s)); }

void demo_str_addc(demo_str *b, char c) { demo_str_addn(b, &c, 1); }

void demo_str_addu(demo_str *b, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[sizeof tmp - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    demo_str_addn(b, tmp + sizeof tmp - n, n);
}
